using Recur.Tests.Cli;
using Recur.Tests.TestUtil;
using Xunit;
using static Recur.Tests.TestUtil.PackageRuns;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// Runs of the sequence tasks (tag; g2p's BiLSTM with attention and its Transformer; translate's both; sentiment with max
/// pooling and batches of like length, and with two layers and mean pooling) exported with their
/// training sets (train_set.safetensors): train.py continues iterations 5 to 7 with the losses Recur's own continuation of
/// the same checkpoint gives (within 1e-4), two workers under torchrun (gloo) give one's (within 1e-5), a package whose
/// batch position is moved by one batch does not (the mutant), and the result imported back is a run <c>recur TASK eval</c>
/// scores. Tiny models, no dropout (its masks would come from two streams); the tagger batches by length (--bucket), g2p's
/// BiLSTM keeps the weight average and label smoothing, the translation Transformer label smoothing.
/// </summary>
[Collection("Console")]
public sealed class PyTorchSequenceTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-sequences-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Samples(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", name);

    private static readonly string[] G2pLstm = ["--hidden", "8", "--embed", "8", "--decoder-hidden", "12", "--attention-dim", "8", "--bucket", "2",
        "--label-smoothing", "0.1"];

    private static readonly string[] Transformer = ["--model", "transformer", "--d-model", "8", "--heads", "2", "--layers", "1"];

    private static readonly string[] Catalogues = ["--merges", "100", "--max-tokens", "20", "--batch-size", "32"];

    /// <summary>The task, its data under Data/Samples, and its training flags.</summary>
    public static TheoryData<string, string, string[]> Cases() => new()
    {
        { "tag", "brown", ["--hidden", "12", "--embed", "8", "--char-hidden", "6", "--batch-size", "8", "--bucket", "3"] },
        { "g2p", "cmudict/cmudict-sample.out", [.. G2pLstm, "--batch-size", "16"] },
        { "g2p", "cmudict/cmudict-sample.out", [.. Transformer, "--ffn", "12", "--batch-size", "16"] },
        { "translate", "gettext-fr", ["--hidden", "8", "--embed", "8", "--decoder-hidden", "12", "--attention-dim", "8", .. Catalogues] },
        { "translate", "gettext-fr", [.. Transformer, "--ffn", "16", "--label-smoothing", "0.1", .. Catalogues] },
        { "sentiment", "imdb/reviews.json", ["--hidden", "6", "--embed", "5", "--batch-size", "8", "--bucket", "2"] },
        { "sentiment", "imdb/reviews.json", ["--hidden", "4", "--embed", "5", "--layers", "2", "--pooling", "mean", "--batch-size", "8"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ARunContinuesInPyTorchAsInRecurOnOneAndTwoWorkersAndComesBack(string task, string data, string[] flags)
    {
        TorchPython.RequireTorch();
        string run = Path.Combine(_dir, "run"), own = Path.Combine(_dir, "own"), package = Path.Combine(_dir, "pkg"), one = Path.Combine(_dir, "one"),
            two = Path.Combine(_dir, "two"), mutant = Path.Combine(_dir, "mutant"), back = Path.Combine(_dir, "back");
        Ok(CliHarness.Run([task, "train", Samples(data), .. flags, "--dropout", "0", "--max-iters", "4", "--eval-every", "4", "--threads", "1",
            "--out", run]));
        Ok(CliHarness.Run("export", run, "--pytorch", package, "--latest"));
        Assert.True(File.Exists(Path.Combine(package, "train_set.safetensors")), "the export wrote no training set");
        CopyFolder(run, own);
        Ok(CliHarness.Run(task, "train", "--resume", own, "--max-iters", "7", "--threads", "1"));
        var recur = RecurLosses(own).Skip(4).ToArray();
        string[] continued = ["train.py", "--iters", "3", "--max-iters", "7", "--threads", "1", "--out"];
        var single = PyTorchLosses(TorchPython.Check(package, [.. continued, one]));
        var pair = PyTorchLosses(TorchPython.Check(package, TorchPython.Torchrun(2, [.. continued, two])));
        Assert.Equal(3, recur.Length);
        Assert.Equal(3, single.Length);
        Assert.Equal(3, pair.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(single[i] - recur[i]) <= 1e-4, $"{task} iteration {5 + i}: PyTorch {single[i]}, Recur {recur[i]}");
            Assert.True(Math.Abs(pair[i] - single[i]) <= 1e-5, $"{task} iteration {5 + i}: two workers {pair[i]}, one {single[i]}");
        }

        // The mutant: the batch position one batch on, so that iteration 5 reads another batch.
        CopyFolder(package, mutant);
        TorchPython.Check(mutant, "-c", "import recur_safetensors as s; t, m = s.load('train_state.safetensors'); t['position'][1] += 1; "
            + "s.save('train_state.safetensors', t, m)");
        double moved = PyTorchLosses(TorchPython.Check(mutant, "train.py", "--iters", "1", "--threads", "1", "--out", Path.Combine(_dir, "moved")))[0];
        Assert.True(Math.Abs(moved - recur[0]) > 1e-4, $"{task}: the next batch's loss {moved} is iteration 5's {recur[0]}");

        var imported = CliHarness.Run("import", two, "--into", back);
        Ok(imported);
        Assert.Contains($"a {task} run at iteration 7, with its training state", imported.Out);
        Ok(CliHarness.Run(task, "eval", back, "--threads", "1"));
    }

    private static void Ok(CliHarness.Result r) => Assert.True(r.ExitCode == 0, r.ToString());
}
