using System.Text;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.CharLm;
using Recur.Training;
using Xunit;

namespace Recur.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-ckpt-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static (CharModel Model, Vocabulary Vocab) TinyModel(string cell = "lstm", int embed = 5)
    {
        var vocab = Vocabulary.FromText("hello wörld 🙂\n");
        var model = new CharModel(new CharModelConfig { Cell = cell, VocabSize = vocab.Count, Embed = embed, Hidden = 7, Layers = 2 });
        model.Reset(new Rng(3));
        return (model, vocab);
    }

    [Theory]
    [InlineData("lstm", 5)]
    [InlineData("gru", 0)]
    [InlineData("rnn", 4)]
    [InlineData("fgr", 5)] // both extra parameters (weight_peep, weight_gg)
    [InlineData("nig", 0)] // a removed gate: three blocks
    [InlineData("rhn", 0)]
    [InlineData("rhn-d5", 5)] // a depth outside the list: config.json's "cell" finds it again
    public void SaveThenLoadGivesTheSameModel(string cell, int embed)
    {
        var (model, vocab) = TinyModel(cell, embed);
        string run = Path.Combine(_dir, "run");
        var options = new TrainOptions { Model = cell, Embed = embed, Hidden = 7, Layers = 2, LearningRate = 1e-3 / 3 };
        var progress = new CheckpointProgress(12, 0.5, 2.5, 2.25, 2.0, 1.5);
        CharCheckpoint.Save(Path.Combine(run, "latest"), model, vocab, options, progress, new DataInfo("x.txt", 100, "00ff"));

        var back = CharCheckpoint.Read(run);
        Assert.Equal(model.Config, back.Config);
        Assert.True(vocab.SameAs(back.Vocabulary));
        Assert.Equal(model.Store.Values, back.Model.Store.Values);
        Assert.Equal(options, back.Training);
        Assert.Equal(progress, back.Progress);
        Assert.Equal("x.txt", back.Data!.Source);
        Assert.Equal(Path.GetFullPath(run), back.RunDirectory);

        // same predictions
        int[] x = vocab.Encode("hello");
        var a = model.Forward(x, 5, 1, training: false, null).Data.ToArray();
        var b = back.Model.Forward(x, 5, 1, training: false, null).Data.ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void RunFolderPrefersBestThenLatest()
    {
        var (model, vocab) = TinyModel();
        string run = Path.Combine(_dir, "run");
        CharCheckpoint.Save(Path.Combine(run, "latest"), model, vocab, progress: new CheckpointProgress(2, 0, null, null, null, 0));
        Assert.Equal(Path.Combine(run, "latest"), CheckpointFiles.Resolve(run));
        CharCheckpoint.Save(Path.Combine(run, "best"), model, vocab, progress: new CheckpointProgress(1, 0, null, null, null, 0));
        Assert.Equal(Path.Combine(run, "best"), CheckpointFiles.Resolve(run));
        Assert.Equal(Path.Combine(run, "latest"), CheckpointFiles.Resolve(run, CheckpointKind.Latest));
        Assert.Equal(1, CharCheckpoint.Read(run).Progress!.Iteration);
        Assert.Equal(2, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);
        // a checkpoint folder or one of its files names itself
        Assert.Equal(Path.Combine(run, "latest"), CheckpointFiles.Resolve(Path.Combine(run, "latest")));
    }

    [Fact]
    public void SavingOverAnExistingCheckpointReplacesItAndLeavesNoTemporaries()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "run", "latest");
        CharCheckpoint.Save(ck, model, vocab, progress: new CheckpointProgress(1, 0, null, null, null, 0));
        model.Store.Values[0] += 1f;
        CharCheckpoint.Save(ck, model, vocab, progress: new CheckpointProgress(2, 0, null, null, null, 0));
        var back = CharCheckpoint.Read(ck);
        Assert.Equal(2, back.Progress!.Iteration);
        Assert.Equal(model.Store.Values[0], back.Model.Store.Values[0]);
        Assert.Equal(["latest"], Directory.GetFileSystemEntries(Path.Combine(_dir, "run")).Select(Path.GetFileName));
    }

    [Fact]
    public void AHalfSwappedCheckpointStillLoads()
    {
        // Killed between 'latest -> .latest.old' and '.latest.tmp -> latest': only .latest.old is there.
        var (model, vocab) = TinyModel();
        string run = Path.Combine(_dir, "run");
        CharCheckpoint.Save(Path.Combine(run, "latest"), model, vocab);
        Directory.Move(Path.Combine(run, "latest"), Path.Combine(run, ".latest.old"));
        Directory.CreateDirectory(Path.Combine(run, ".latest.tmp")); // half-written new one
        File.WriteAllText(Path.Combine(run, ".latest.tmp", "model.safetensors"), "partial");
        var back = CharCheckpoint.Read(run);
        Assert.Equal(model.Store.Values, back.Model.Store.Values);
    }

    [Fact]
    public void TrainingStateRoundTripsBitForBit()
    {
        var (model, _) = TinyModel();
        var opt = new Adam(model.Store, 1e-3);
        var rng = new Rng(9);
        rng.FillUniform(opt.State["exp_avg"], -1, 1);
        rng.FillUniform(opt.State["exp_avg_sq"], 0, 1);
        var h = Tensor.Randn(rng, 1f, 2, 3, 7);
        var state = new TrainingState
        {
            OptimizerName = "adam",
            OptimizerSteps = 17,
            OptimizerBuffers = opt.State,
            RngState = rng.State,
            Iteration = 3,
            TaskIntegers = new Dictionary<string, IntegerArray> { ["position"] = new IntegerArray([3, 4]) },
            TaskTensors = new Dictionary<string, Tensor> { ["hidden.h"] = h },
            TrainLosses = [Math.PI, 1e-300, 4.0 / 3],
            ValIterations = [2],
            ValLosses = [Math.E],
            ElapsedSeconds = 0.1,
        };
        string path = Path.Combine(_dir, "state.safetensors");
        TrainingState.Write(path, state);
        var back = TrainingState.Read(path, model.Store.Count);
        Assert.Equal(17, back.OptimizerSteps);
        Assert.Equal(opt.State["exp_avg"], back.OptimizerBuffers["exp_avg"]);
        Assert.Equal(opt.State["exp_avg_sq"], back.OptimizerBuffers["exp_avg_sq"]);
        Assert.Equal(rng.State, back.RngState);
        Assert.Equal([3L, 4L], back.TaskIntegers["position"].Data);
        Assert.Equal(state.TrainLosses, back.TrainLosses);
        Assert.Equal(h.Data, back.TaskTensors["hidden.h"].Data);
        Assert.False(back.TaskTensors.ContainsKey("hidden.c"));
        Assert.Equal(0.1, back.ElapsedSeconds);
        // a task may not take a trainer entry's name
        Assert.Throws<ArgumentException>(() => TrainingState.Write(path, new TrainingState
        {
            OptimizerName = "adam", OptimizerSteps = 0, OptimizerBuffers = opt.State, RngState = rng.State, Iteration = 0,
            TrainLosses = [], ValIterations = [], ValLosses = [],
            TaskIntegers = new Dictionary<string, IntegerArray> { ["iteration"] = new IntegerArray([1]) },
        }));
        // and the character task names a carried state that does not fit its run (batch 4, not 3)
        var o = new TrainOptions { Hidden = 7, Layers = 2, Embed = 3, BatchSize = 4, SeqLength = 2 };
        var task = new CharLmTask(o, Vocabulary.FromText("abcde"), Enumerable.Range(0, 400).Select(i => i % 5).ToArray(),
            new CharModel(o.ToModelConfig(5)));
        var e = Assert.Throws<CheckpointFormatException>(() => task.LoadState(back, path));
        Assert.Contains("hidden.h", e.Message);
    }

    [Fact]
    public void ConfigProblemsAreNamed()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab);
        string cfg = Path.Combine(ck, CheckpointFiles.ConfigFile);
        string good = File.ReadAllText(cfg);

        void Expect(string json, string fragment)
        {
            File.WriteAllText(cfg, json);
            var e = Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck));
            Assert.Contains(fragment, e.Message);
        }

        Expect(good.Replace("\"version\": 1", "\"version\": 7"), "version 7");
        Expect(good.Replace("recur-char-model", "something-else"), "format");
        Expect(good.Replace("\"hidden\": 7", "\"hidden\": 8"), "weights");
        Expect(good.Replace("\"hidden\": 7", "\"hidden\": 2000000000"), "out of range");
        Expect(good.Replace("\"hidden\": 7", "\"hidden\": -1"), "hidden");
        Expect(good.Replace("\"cell\": \"lstm\"", "\"cell\": \"transformer\""), "transformer");
        Assert.Contains($"\"vocab_size\": {vocab.Count}", good);
        Expect(good.Replace($"\"vocab_size\": {vocab.Count}", $"\"vocab_size\": {vocab.Count - 1}"), "vocabulary");
        Expect(good[..(good.Length / 2)], "JSON");
        Expect("[]", "object");
        Expect("", "JSON");
        File.WriteAllText(cfg, good);
        Assert.NotNull(CharCheckpoint.Read(ck)); // the edits above were the only problem
    }

    [Fact]
    public void WrongWeightsAreNamed()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab);
        string path = Path.Combine(ck, CheckpointFiles.ModelFile);
        var tensors = model.Store.Parameters.Select(p => KeyValuePair.Create(p.Name, p.ToTensor())).ToList();

        // renamed tensor
        var renamed = tensors.Select(kv => kv.Key == "head.bias" ? KeyValuePair.Create("head.b", kv.Value) : kv).ToList();
        SafeTensors.Write(path, renamed);
        Assert.Contains("head.b", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);

        // transposed shape, same count
        var w = model.Store["head.weight"];
        var transposed = tensors.Select(kv => kv.Key == "head.weight" ? KeyValuePair.Create(kv.Key, kv.Value.Reshape(w.Shape[1], w.Shape[0])) : kv).ToList();
        SafeTensors.Write(path, transposed);
        Assert.Contains("head.weight", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);

        // NaN weights
        var nan = tensors.Select(kv => kv).ToList();
        nan[0].Value.Data[0] = float.NaN;
        SafeTensors.Write(path, nan);
        Assert.Contains("NaN", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);
    }

    [Fact]
    public void FuzzedFilesNeverCrashTheLoader()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab, new TrainOptions { Hidden = 7, Embed = 5 }, new CheckpointProgress(1, 0, null, null, null, 0));
        var rng = new Rng(11);
        foreach (string file in new[] { CheckpointFiles.ModelFile, CheckpointFiles.ConfigFile })
        {
            string path = Path.Combine(ck, file);
            byte[] good = File.ReadAllBytes(path);
            for (int trial = 0; trial < 150; trial++)
            {
                byte[] bad;
                if (trial % 3 == 0) bad = good[..rng.NextInt(good.Length)];
                else
                {
                    bad = (byte[])good.Clone();
                    int flips = 1 + rng.NextInt(4);
                    for (int k = 0; k < flips; k++) bad[rng.NextInt(bad.Length)] ^= (byte)(1 << rng.NextInt(8));
                }
                File.WriteAllBytes(path, bad);
                try
                {
                    var back = CharCheckpoint.Read(ck);
                    Assert.Equal(model.Store.Count, back.Model.Store.Count); // a flip in a weight's bytes loads
                }
                catch (CheckpointFormatException e) { Assert.DoesNotContain('\n', e.Message); } // one line, even when the JSON parser quotes the rest of the file
            }
            File.WriteAllBytes(path, good);
        }
        Assert.Equal(model.Store.Values, CharCheckpoint.Read(ck).Model.Store.Values);
    }

    [Fact]
    public void LoneSurrogateEscapesInTheConfigAreFormatErrors()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab);
        string path = Path.Combine(ck, CheckpointFiles.ConfigFile);
        string good = File.ReadAllText(path);
        int q = good.IndexOf("\"format\": \"", StringComparison.Ordinal);
        Assert.True(q >= 0, good);
        int start = q + "\"format\": \"".Length, end = good.IndexOf('"', start);
        File.WriteAllText(path, good[..start] + "\\uDE42" + good[end..]);
        Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck));
        int v = good.IndexOf("\"vocabulary\": [", StringComparison.Ordinal);
        Assert.True(v >= 0, good);
        int s0 = good.IndexOf('"', v + "\"vocabulary\": [".Length) + 1, s1 = good.IndexOf('"', s0);
        File.WriteAllText(path, good[..s0] + "\\uDE42" + good[s1..]);
        Assert.Contains("vocabulary", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);
    }

    [Fact]
    public void MissingThingsAreNamed()
    {
        Assert.Throws<DirectoryNotFoundException>(() => CharCheckpoint.Read(Path.Combine(_dir, "nope")));
        var e = Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(_dir));
        Assert.Contains("best/ or latest/", e.Message);
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab);
        File.Delete(Path.Combine(ck, CheckpointFiles.ModelFile));
        Assert.Contains("no weights", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);
        File.WriteAllText(Path.Combine(_dir, "file.txt"), "x");
        Assert.Contains("is a file", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(Path.Combine(_dir, "file.txt"))).Message);
    }

    [Theory]
    [InlineData("lstm", 5)]  // layers 1.. have highways
    [InlineData("gru", 7)]   // embed = hidden: layer 0 too
    [InlineData("rhn-d2", 0)]
    public void HighwayModelsRoundTripAndTheirConfigSaysSo(string cell, int embed)
    {
        var vocab = Vocabulary.FromText("hello wörld 🙂\n");
        var config = new CharModelConfig { Cell = cell, VocabSize = vocab.Count, Embed = embed, Hidden = 7, Layers = 2, Highway = true };
        var model = new CharModel(config);
        model.Reset(new Rng(3));
        Assert.Equal(model.Store.Count, CharCheckpoint.ParameterCount(config));
        Assert.True(CharCheckpoint.ParameterCount(config) > CharCheckpoint.ParameterCount(config with { Highway = false }));
        string ck = Path.Combine(_dir, "hw");
        var options = new TrainOptions { Model = cell, Embed = embed, Hidden = 7, Layers = 2, Highway = true };
        CharCheckpoint.Save(ck, model, vocab, options);
        Assert.Contains("\"highway\": true", File.ReadAllText(Path.Combine(ck, CheckpointFiles.ConfigFile), Encoding.UTF8));
        var back = CharCheckpoint.Read(ck);
        Assert.True(back.Config.Highway);
        Assert.True(back.Training!.Highway);
        Assert.Equal(model.Store.Values, back.Model.Store.Values);
        Assert.Equal(model.Store.Parameters.Select(p => p.Name), back.Model.Store.Parameters.Select(p => p.Name));
        int[] x = vocab.Encode("hello");
        Assert.Equal(model.Forward(x, 5, 1, training: false, null).Data.ToArray(), back.Model.Forward(x, 5, 1, training: false, null).Data.ToArray());

        // The same weights under a config without highways are refused, naming the counts.
        string json = File.ReadAllText(Path.Combine(ck, CheckpointFiles.ConfigFile), Encoding.UTF8);
        File.WriteAllText(Path.Combine(ck, CheckpointFiles.ConfigFile), json.Replace("\"highway\": true", "\"highway\": false")); // UTF-8 without a byte-order mark
        Assert.Contains("weights", Assert.Throws<CheckpointFormatException>(() => CharCheckpoint.Read(ck)).Message);
    }

    [Fact]
    public void ConfigsWrittenBeforeHighwaysLoadWithoutThem()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "old");
        CharCheckpoint.Save(ck, model, vocab, new TrainOptions());
        string path = Path.Combine(ck, CheckpointFiles.ConfigFile);
        string json = File.ReadAllText(path, Encoding.UTF8);
        Assert.Contains("\"highway\": false", json);
        File.WriteAllText(path, json.Replace("\"highway\": false,", "").Replace(",\n    \"highway\": false", "")); // UTF-8 without a byte-order mark
        Assert.DoesNotContain("highway", File.ReadAllText(path, Encoding.UTF8));
        var back = CharCheckpoint.Read(ck);
        Assert.False(back.Config.Highway);
        Assert.Equal(model.Store.Values, back.Model.Store.Values);
    }

    [Fact]
    public void ConfigIsReadableJsonWithTheVocabularyAsCharacters()
    {
        var (model, vocab) = TinyModel();
        string ck = Path.Combine(_dir, "ck");
        CharCheckpoint.Save(ck, model, vocab, new TrainOptions());
        string json = File.ReadAllText(Path.Combine(ck, CheckpointFiles.ConfigFile), Encoding.UTF8);
        Assert.Contains("\"vocabulary\": [", json);
        Assert.Contains("\"ö\"", json);
        Assert.Contains("\"seq_length\": 64", json);
        Assert.Contains($"\"vocab_size\": {vocab.Count}", json);
    }
}
