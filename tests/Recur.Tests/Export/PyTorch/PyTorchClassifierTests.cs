using System.Text.Json;
using Recur.Data;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.Classify;
using Recur.Tests.Cli;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// Classifiers (recur classify, recurrent and --model cnn) exported to PyTorch: model.py's logits equal Recur's within
/// 1e-4; train.py continues a run across an epoch boundary (Recur's shuffled order reproduced) as Recur does, one
/// worker and two; the result imported back scores what eval.py scores.
/// </summary>
[Collection("Console")]
public sealed class PyTorchClassifierTests : IDisposable
{
    private const int B = 3, Side = 28;
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-classify-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string SampleDir => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "fashion-mnist");

    [SkippableFact]
    public void ClassifiersGiveRecursLogitsInPyTorch()
    {
        TorchPython.RequireTorch();
        var rng = new Rng(3);
        var bytes = Enumerable.Range(0, B * Side * Side).Select(_ => (long)rng.NextInt(256)).ToArray();
        string images = Path.Combine(_dir, "images.safetensors");
        SafeTensors.Write(images, new SafeTensorsFile(null, [new("images", new IntegerArray(bytes, [B, Side, Side]))]));
        var models = new Dictionary<string, IImageClassifier>
        {
            ["gru"] = new SequenceClassifier(new SequenceClassifierConfig { Cell = "gru", Hidden = 8, Layers = 2 }),
            ["mut3"] = new SequenceClassifier(new SequenceClassifierConfig { Cell = "mut3", Hidden = 8, Layers = 1 }),
            ["cnn"] = new ConvNet(new ConvNetConfig { Channels = [4, 6], Fc = 8 }),
        };
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", "classifier_logits.py"), images };
        var expected = new Dictionary<string, float[]>();
        ulong seed = 20;
        foreach (var (name, model) in models)
        {
            model.Reset(new Rng(seed++));
            string run = Path.Combine(_dir, name), package = Path.Combine(_dir, name + ".pkg");
            Directory.CreateDirectory(run);
            ClassifierCheckpoint.Instance.Write(run, new LoadedClassifier(model, FashionMnist.ClassNames), null, null, null);
            PyTorchExport.Write(run, package);
            expected[name] = model.Forward(Input(model is ConvNet, bytes)).Data[..(B * 10)];
            args.AddRange([package, Path.Combine(_dir, name + ".out.safetensors")]);
        }
        TorchPython.Check(_dir, [.. args]);
        foreach (var (name, want) in expected)
        {
            var got = SafeTensors.Read(Path.Combine(_dir, name + ".out.safetensors")).GetTensor("logits").Data;
            Assert.Equal(want.Length, got.Length);
            double d = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(d <= 1e-4, $"{name}: max |logit difference| {d:G3}");
        }
    }

    [SkippableTheory]
    [InlineData("gru")]
    [InlineData("cnn")]
    public void TrainingContinuesAcrossAnEpochInPyTorchAndComesBack(string kind)
    {
        TorchPython.RequireTorch();
        string run = Path.Combine(_dir, "run"), own = Path.Combine(_dir, "own"), package = Path.Combine(_dir, "pkg");
        string[] model = kind == "cnn" ? ["--model", "cnn", "--layers", "1"] : ["--layers", "1"];
        // 480 training images in batches of 32: 15 a epoch, so iterations 14 .. 16 cross into epoch 1 and its new order.
        Ok(CliHarness.Run(["classify", SampleDir, .. model, "--hidden", "8", "--batch-size", "32", "--threads", "1", "--val-frac", "0.2", "--dropout", "0",
            "--max-iters", "13", "--out", run]));
        Ok(CliHarness.Run("export", run, "--pytorch", package, "--latest"));
        CopyFolder(run, own);
        Ok(CliHarness.Run("classify", "--resume", own, "--max-iters", "16", "--threads", "1"));
        var recur = Losses(File.ReadAllLines(Path.Combine(own, "metrics.jsonl")), "\"type\":\"train\"").Skip(13).ToArray();
        var one = Losses(TorchPython.Check(package, "train.py", "--iters", "3", "--max-iters", "16", "--out", Path.Combine(_dir, "one"), "--threads", "1")
            .Split('\n'), "\"type\": \"train\"");
        string two = Path.Combine(_dir, "two");
        var both = Losses(TorchPython.Check(package, TorchPython.Torchrun(2, "train.py", "--iters", "3", "--max-iters", "16", "--out", two))
            .Split('\n'), "\"type\": \"train\"");
        Assert.Equal(3, recur.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.InRange(Math.Abs(one[i] - recur[i]), 0, 1e-4);
            Assert.InRange(Math.Abs(both[i] - one[i]), 0, 1e-4);
        }
        string back = Path.Combine(_dir, "back");
        Ok(CliHarness.Run("import", two, "--into", back));
        var evalPy = JsonDocument.Parse(TorchPython.Check(two, "eval.py").Trim()).RootElement;
        var ck = ClassifierCheckpoint.Instance.Load(back);
        var validation = ClassifyDefinition.Split(FashionMnist.Load(SampleDir).Train, 0.2).Validation;
        var score = ClassifyTask.Score(ck.Model, validation);
        Assert.InRange(Math.Abs(score.Loss - evalPy.GetProperty("loss").GetDouble()), 0, 1e-4);
        Assert.Equal(score.Accuracy, evalPy.GetProperty("accuracy").GetDouble(), 9);
    }

    private static Tensor Input(bool cnn, long[] bytes)
    {
        var x = cnn ? new Tensor(B, 1, Side, Side) : new Tensor(Side, B, Side);
        for (int b = 0; b < B; b++)
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                    x.Data[cnn ? (b * Side + r) * Side + c : (r * B + b) * Side + c] = bytes[(b * Side + r) * Side + c] / 255f;
        return x;
    }

    private static void Ok(CliHarness.Result r) => Assert.True(r.ExitCode == 0, r.ToString());

    private static double[] Losses(IEnumerable<string> lines, string kind) => lines.Where(l => l.Contains(kind, StringComparison.Ordinal))
        .Select(l => JsonDocument.Parse(l[l.IndexOf('{')..]).RootElement.GetProperty("loss").GetDouble()).ToArray();

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
