using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Recur.IO;
using Recur.Tasks.CharLm;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed partial class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string TextFile(int chars = 3000) => CliHarness.ShakespeareFile(_dir, chars);

    private static readonly string[] Tiny =
        ["--hidden", "16", "--layers", "1", "--embed", "8", "--seq-length", "16", "--batch-size", "4", "--eval-every", "10", "--threads", "1"];

    [Fact]
    public void TrainsEvaluatesAndResumes()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "run");
        var r = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "20", "--out", run, "--sample-length", "40"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("done: reached --max-iters 20 after 20 iterations", r.Out);
        Assert.Contains("--- sample", r.Out);
        Assert.Contains("val loss", r.Out);
        foreach (string f in new[] { "best/model.safetensors", "best/config.json", "latest/state.safetensors", "metrics.jsonl", "loss.png" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        Assert.Equal("", r.Err);
        // every metrics line names each key once (val_bpc was written twice)
        foreach (string line in File.ReadLines(Path.Combine(run, "metrics.jsonl")))
        {
            var keys = Regex.Matches(line, "\"([a-z_]+)\":").Select(k => k.Groups[1].Value).ToList();
            Assert.True(keys.Count == keys.Distinct().Count(), $"a key repeats in {line}");
        }

        // eval reproduces the training run's validation loss for the best checkpoint
        var ck = CharCheckpoint.Read(run);
        var e = CliHarness.Run("eval", run);
        Assert.True(e.ExitCode == 0, e.ToString());
        var m = NatsRegex().Match(e.Out);
        Assert.True(m.Success, e.Out);
        Assert.Equal(ck.Progress!.ValLoss!.Value, double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 4);
        Assert.Contains("bits/char", e.Out);
        Assert.StartsWith("validation split of ", e.Out, StringComparison.Ordinal);
        // --split validation, as every eval takes it, and the older --split val name the same split
        foreach (string name in new[] { "validation", "val" })
        {
            var named = CliHarness.Run("eval", run, "--split", name);
            Assert.True(named.ExitCode == 0, named.ToString());
            Assert.Equal(e.Out.Split('\n')[0], named.Out.Split('\n')[0]);
        }

        // any file
        var f2 = CliHarness.Run("eval", run, text);
        Assert.True(f2.ExitCode == 0, f2.ToString());

        // resume continues from iteration 20
        var r2 = CliHarness.Run("train", "--resume", run, "--max-iters", "25", "--sample-length", "0");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("resuming at iteration 20", r2.Out);
        Assert.Equal(25, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);

        // init-from starts a new run from those weights, taking the architecture from the checkpoint
        var r3 = CliHarness.Run("train", text, "--init-from", run, "--max-iters", "2", "--seq-length", "16", "--batch-size", "4", "--sample-length", "0", "--out", Path.Combine(_dir, "run2"));
        Assert.True(r3.ExitCode == 0, r3.ToString());
        Assert.Equal(16, CharCheckpoint.Read(Path.Combine(_dir, "run2")).Config.Hidden);
    }

    [Fact]
    public void WeightAverageRunsEvaluateTheAverage()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "ema");
        var r = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "12", "--ema", "0.9", "--out", run, "--sample-length", "0"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("weight average 0.9", r.Out);
        var e = CliHarness.Run("eval", run);
        Assert.True(e.ExitCode == 0, e.ToString());
        var m = NatsRegex().Match(e.Out);
        Assert.True(m.Success, e.Out);
        Assert.Equal(CharCheckpoint.Read(run).Progress!.ValLoss!.Value, double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 4);
        // --train-weights scores the optimizer's weights: a different loss
        var raw = CliHarness.Run("eval", run, "--train-weights");
        Assert.True(raw.ExitCode == 0, raw.ToString());
        Assert.Contains("the optimizer's weights", raw.Out);
        var mr = NatsRegex().Match(raw.Out);
        Assert.True(mr.Success, raw.Out);
        Assert.NotEqual(m.Groups[1].Value, mr.Groups[1].Value);
        var r2 = CliHarness.Run("train", "--resume", run, "--max-iters", "14", "--sample-length", "0");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Contains("weight average 0.9", r2.Out);

        // a run without --ema has no second set of weights
        string plain = Path.Combine(_dir, "plain");
        Assert.Equal(0, CliHarness.Run(["train", text, .. Tiny, "--ema", "0", "--max-iters", "2", "--out", plain, "--sample-length", "0"]).ExitCode);
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", plain, "--train-weights"), "eval", "--ema");
    }

    [GeneratedRegex(@": ([0-9.]+) nats/char")]
    private static partial Regex NatsRegex();

    [Fact]
    public void CellsThatAddTheirInputTakeEmbedFromHiddenAndRefuseAnother()
    {
        string text = TextFile();
        string[] small = ["--hidden", "16", "--layers", "1", "--seq-length", "16", "--batch-size", "4", "--threads", "1", "--sample-length", "0"];
        string run = Path.Combine(_dir, "mut1");
        var r = CliHarness.Run(["train", text, "--model", "mut1", .. small, "--max-iters", "2", "--out", run]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var config = CharCheckpoint.Read(run).Config;
        Assert.Equal(("mut1", 16), (config.Cell, config.Embed));
        // --embed equal to --hidden is accepted; another is refused naming both
        var same = CliHarness.Run(["train", text, "--model", "mut2", .. small, "--embed", "16", "--max-iters", "1", "--out", Path.Combine(_dir, "mut2")]);
        Assert.True(same.ExitCode == 0, same.ToString());
        CliHarness.AssertCleanFailure(CliHarness.Run(["train", text, "--model", "mut2", .. small, "--embed", "8", "--out", Path.Combine(_dir, "never")]),
            "train", "--embed must equal --hidden 16", "got --embed 8");
        // other cells keep the --embed default
        var lstm = CliHarness.Run(["train", text, .. small, "--max-iters", "1", "--out", Path.Combine(_dir, "lstm")]);
        Assert.True(lstm.ExitCode == 0, lstm.ToString());
        Assert.Equal(CharLmDefinition.Instance.Defaults.Embed, CharCheckpoint.Read(Path.Combine(_dir, "lstm")).Config.Embed);
    }

    [Fact]
    public void RhnOfAnyDepthTrainsSavesAndResumes()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "rhn5");
        var r = CliHarness.Run(["train", text, .. Tiny, "--model", "rhn-d5", "--max-iters", "3", "--out", run, "--sample-length", "20"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        Assert.Equal("rhn-d5", ck.Config.Cell);
        Assert.Equal(5, Assert.IsType<Recur.Nn.Cells.RhnCell>(ck.Model.Rnn.Cell).Depth);
        Assert.Equal("rhn-d5", ck.Training!.Model);
        var r2 = CliHarness.Run("train", "--resume", run, "--max-iters", "4", "--sample-length", "0");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.Equal(4, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);
        CliHarness.AssertCleanFailure(CliHarness.Run("train", text, "--model", "rhn-d11", "--out", Path.Combine(_dir, "never")), "train", "--model", "rhn-dN");
    }

    [Fact]
    public void HighwayTrainsSamplesAndIsPartOfTheArchitecture()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "hw");
        string[] two = ["--hidden", "16", "--layers", "2", "--embed", "8", "--seq-length", "16", "--batch-size", "4", "--eval-every", "10", "--threads", "1"];
        var r = CliHarness.Run(["train", text, .. two, "--highway", "--max-iters", "3", "--out", run, "--sample-length", "30"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("with highways", r.Out);
        Assert.Contains("--- sample", r.Out);
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest);
        Assert.True(ck.Config.Highway);
        Assert.True(ck.Training!.Highway);
        Assert.NotNull(ck.Model.Rnn.HighwayParameters(1));
        Assert.Null(ck.Model.Rnn.HighwayParameters(0)); // embed 8 is narrower than hidden 16
        // resume keeps it; --highway false on resume is a refused architecture change
        var r2 = CliHarness.Run("train", "--resume", run, "--max-iters", "4", "--sample-length", "0");
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.True(CharCheckpoint.Read(run, CheckpointKind.Latest).Config.Highway);
        CliHarness.AssertCleanFailure(CliHarness.Run("train", "--resume", run, "--highway", "false", "--max-iters", "5"), "train", "--highway");
        // sample and eval read it from config.json
        var s = CliHarness.Run("sample", run, "--length", "20", "--seed", "1");
        Assert.True(s.ExitCode == 0, s.ToString());
        var e = CliHarness.Run("eval", run);
        Assert.True(e.ExitCode == 0, e.ToString());
        // the default is off; one layer with a narrower input has nowhere to put a highway
        var plain = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "1", "--out", Path.Combine(_dir, "plain"), "--sample-length", "0"]);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.False(CharCheckpoint.Read(Path.Combine(_dir, "plain")).Config.Highway);
        CliHarness.AssertCleanFailure(CliHarness.Run(["train", text, .. Tiny, "--highway", "--out", Path.Combine(_dir, "never")]), "train", "highway");
        Assert.Contains("--highway", CliHarness.Run("train", "--help").Out);
    }

    [Fact]
    public void BadFilesGetOneClearLine()
    {
        string empty = Path.Combine(_dir, "empty.txt");
        File.WriteAllBytes(empty, []);
        string binary = Path.Combine(_dir, "bin.dat");
        File.WriteAllBytes(binary, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 0, 1, 2]);
        string latin1 = Path.Combine(_dir, "latin1.txt");
        File.WriteAllBytes(latin1, Encoding.Latin1.GetBytes("caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, a long enough line of text"));
        string shortText = Path.Combine(_dir, "short.txt");
        File.WriteAllText(shortText, "To be, or not to be");

        CliHarness.AssertCleanFailure(CliHarness.Run("train", Path.Combine(_dir, "missing.txt")), "train", "missing.txt", "not found");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", empty), "train", "empty");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", binary), "train", "binary");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", latin1), "train", "UTF-8");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", shortText, "--seq-length", "64", "--batch-size", "1"), "train", "sequence length");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", shortText, "--seq-length", "4", "--batch-size", "32"), "train", "batch size");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", _dir), "train", "folder");
    }

    [Theory]
    [InlineData("--hidden", "0", "--hidden")]
    [InlineData("--layers", "-2", "--layers")]
    [InlineData("--dropout", "1.5", "--dropout")]
    [InlineData("--lr", "-1", "--lr")]
    [InlineData("--lr", "abc", "--lr")]
    [InlineData("--optimizer", "lbfgs", "--optimizer")]
    [InlineData("--model", "perceptron", "--model")]
    [InlineData("--clip-mode", "max", "--clip-mode")]
    [InlineData("--val-frac", "1", "--val-frac")]
    [InlineData("--grad-clip", "-5", "--grad-clip")]
    [InlineData("--ema", "1", "--ema")]
    [InlineData("--hiden", "5", "unknown option")]
    public void OptionsOutOfRangeGetOneClearLine(string option, string value, string fragment)
    {
        string text = TextFile();
        CliHarness.AssertCleanFailure(CliHarness.Run("train", text, option, value, "--out", Path.Combine(_dir, "never")), "train", fragment);
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void CorruptedCheckpointsGetOneClearLine()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "run");
        var ok = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "3", "--out", run, "--sample-length", "0"]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        string model = Path.Combine(run, "best", CheckpointFiles.ModelFile);
        byte[] good = File.ReadAllBytes(model);
        File.WriteAllBytes(model, good[..(good.Length / 2)]);
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run), "eval", "model.safetensors");
        File.WriteAllBytes(model, good);

        string state = Path.Combine(run, "latest", CheckpointFiles.StateFile);
        byte[] goodState = File.ReadAllBytes(state);
        File.WriteAllBytes(state, goodState[..100]);
        CliHarness.AssertCleanFailure(CliHarness.Run("train", "--resume", run), "train", "state.safetensors");
        File.WriteAllBytes(state, goodState);

        string config = Path.Combine(run, "best", CheckpointFiles.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"version\": 1", "\"version\": 99"));
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run), "eval", "version 99");

        CliHarness.AssertCleanFailure(CliHarness.Run("eval", Path.Combine(_dir, "nope")), "eval", "nope");
        CliHarness.AssertCleanFailure(CliHarness.Run("train", "--resume", Path.Combine(_dir, "nope")), "train", "nope");
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", _dir), "eval", "not a checkpoint");
    }

    [Fact]
    public void ByDefaultARunKeepsATestSplitThatOnlyEvalReads()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "run");
        var train = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "2", "--out", run, "--sample-length", "0"]);
        Assert.Equal(0, train.ExitCode);
        Assert.Matches(@"/ test \d+ characters", train.Out);
        Assert.DoesNotContain("test split of", train.Out, StringComparison.Ordinal);
        var val = CliHarness.Run("eval", run);
        var test = CliHarness.Run("eval", run, "--split", "test");
        Assert.Equal((0, 0), (val.ExitCode, test.ExitCode));
        Assert.Matches("^(val|validation) split of", val.Out);
        Assert.StartsWith("test split of", test.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalNamesCharactersOutsideTheVocabulary()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, CliHarness.Run(["train", text, .. Tiny, "--max-iters", "2", "--test-frac", "0", "--out", run, "--sample-length", "0"]).ExitCode);
        string other = Path.Combine(_dir, "other.txt");
        File.WriteAllText(other, "Größe ✓ and more");
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, other), "eval", "'ö' (U+00F6)", "'✓' (U+2713)");
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, "--split", "test"), "eval", "no test split");
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, other, "--split", "val"), "eval", "--split");
    }

    [Fact]
    public void NonFiniteLossStopsWithExitCode3AndKeepsTheLastGoodCheckpoint()
    {
        string text = TextFile();
        string run = Path.Combine(_dir, "run");
        var r = CliHarness.Run("train", text, "--model", "rnn", "--nonlinearity", "relu", "--optimizer", "sgd", "--lr", "90", "--grad-clip", "0",
            "--hidden", "16", "--layers", "1", "--embed", "8", "--seq-length", "16", "--batch-size", "4", "--eval-every", "1", "--max-iters", "500",
            "--threads", "1", "--out", run);
        Assert.Equal(3, r.ExitCode);
        CliHarness.AssertCleanFailure(r, "train", "became", "last good checkpoint");
        var ck = CharCheckpoint.Read(run, CheckpointKind.Latest); // still loads
        Assert.True(ck.Progress!.Iteration >= 1);
    }
}
