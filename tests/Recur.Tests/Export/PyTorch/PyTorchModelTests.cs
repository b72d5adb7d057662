using Recur.Data;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Models;
using Recur.Nn.Blocks;
using Recur.Nn.Cells;
using Recur.Tasks.CharLm;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// Every registered cell and block: a small character model exported with <c>recur export --pytorch</c>, its package's
/// model.py run by PyTorch over two chunks (the second from the state the first left) gives Recur's logits within 1e-4;
/// a copy with one weight tensor scaled by 1 % does not (the check can fail).
/// </summary>
public sealed class PyTorchModelTests : IDisposable
{
    private const int T = 5, B = 3, H = 8;
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-models-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every cell (rhn-d2 besides the listed rhn) and block, and the stack options that leave torch's fused layers.</summary>
    public static IEnumerable<(string Name, CharModelConfig Config)> Cases()
    {
        var vocab = 7;
        foreach (string name in CellRegistry.Names.Append("rhn-d2").Concat(BlockRegistry.Names))
        {
            int embed = CharModelConfig.EmbedsAtHidden(name) ? H : 5;
            yield return (name, new CharModelConfig
            {
                Cell = name, VocabSize = vocab, Embed = embed, Hidden = H, Layers = 2, StateSize = 4, Expand = 2, ConvWidth = 3, Heads = 2, Context = 4,
            });
        }
        yield return ("lstm-highway", new CharModelConfig { Cell = "lstm", VocabSize = vocab, Embed = 5, Hidden = H, Layers = 2, Highway = true });
        yield return ("gru-onehot-weightdrop", new CharModelConfig { Cell = "gru", VocabSize = vocab, Embed = 0, Hidden = H, Layers = 2, WeightDrop = 0.2f });
        yield return ("rnn-tanh", new CharModelConfig { Cell = "rnn", Nonlinearity = "tanh", VocabSize = vocab, Embed = 5, Hidden = H, Layers = 1 });
    }

    [SkippableFact]
    public void EveryCellAndBlockGivesRecursLogitsInPyTorch()
    {
        TorchPython.RequireTorch();
        var rng = new Rng(11);
        var tokens1 = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(7)).ToArray();
        var tokens2 = Enumerable.Range(0, T * B).Select(_ => rng.NextInt(7)).ToArray();
        string inputs = Path.Combine(_dir, "inputs.safetensors");
        SafeTensors.Write(inputs, new SafeTensorsFile(null,
            [new("tokens1", new IntegerArray([.. tokens1.Select(t => (long)t)], [T, B])), new("tokens2", new IntegerArray([.. tokens2.Select(t => (long)t)], [T, B]))]));
        var vocab = Vocabulary.FromText("abcdefg");
        var expected = new Dictionary<string, (float[] First, float[] Second)>();
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", "package_logits.py"), inputs };
        int seed = 0;
        foreach (var (name, config) in Cases())
        {
            var model = new CharModel(config);
            model.Reset(new Rng((ulong)(100 + seed++)));
            string run = Path.Combine(_dir, name), package = Path.Combine(_dir, name + ".pkg");
            CharCheckpoint.Save(run, model, vocab);
            PyTorchExport.Write(run, package);
            float[] first = model.Forward(tokens1, T, B, training: false, null).Data[..(T * B * 7)];
            float[] second = model.Forward(tokens2, T, B, training: false, null).Data[..(T * B * 7)];
            expected[name] = (first, second);
            args.AddRange([package, Path.Combine(_dir, name + ".out.safetensors")]);
        }
        // The mutant: the LSTM's package with rnn.weight_hh_l0 scaled by 1 %.
        string mutant = Path.Combine(_dir, "mutant.pkg");
        CopyFolder(Path.Combine(_dir, "lstm.pkg"), mutant);
        var w = SafeTensors.Read(Path.Combine(mutant, "weights.safetensors"));
        var scaled = w.Names.Select(n => KeyValuePair.Create(n, n == "rnn.weight_hh_l0" ? Scale(w.GetTensor(n), 1.01f) : w.GetTensor(n))).ToList();
        SafeTensors.Write(Path.Combine(mutant, "weights.safetensors"), scaled);
        args.AddRange([mutant, Path.Combine(_dir, "mutant.out.safetensors")]);

        TorchPython.Check(_dir, [.. args]);

        var failures = new List<string>();
        foreach (var (name, (first, second)) in expected)
        {
            var got = SafeTensors.Read(Path.Combine(_dir, name + ".out.safetensors"));
            double d = Math.Max(MaxDiff(first, got.GetTensor("logits1").Data), MaxDiff(second, got.GetTensor("logits2").Data));
            if (!(d <= 1e-4)) failures.Add($"{name}: max |logit difference| {d:G3}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        var m = SafeTensors.Read(Path.Combine(_dir, "mutant.out.safetensors"));
        double md = Math.Max(MaxDiff(expected["lstm"].First, m.GetTensor("logits1").Data), MaxDiff(expected["lstm"].Second, m.GetTensor("logits2").Data));
        Assert.True(md > 1e-4, $"scaling rnn.weight_hh_l0 by 1 % moved the logits only {md:G3}: the equality check cannot fail");
    }

    [Fact]
    public void ARunOfATaskNotCoveredIsRefusedWithTheCoveredTasks()
    {
        string run = Path.Combine(_dir, "other");
        var model = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = 3, Embed = 2, Hidden = 4, Layers = 1 });
        CharCheckpoint.Save(run, model, Vocabulary.FromText("abc"));
        string config = Path.Combine(run, CheckpointFiles.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"task\": \"char-lm\"", "\"task\": \"no-such-task\"", StringComparison.Ordinal));
        var e = Assert.Throws<NotSupportedException>(() => PyTorchExport.Write(run, Path.Combine(_dir, "other.pkg")));
        Assert.Contains("no-such-task", e.Message, StringComparison.Ordinal);
        Assert.Contains(string.Join(", ", PyTorchLayouts.Tasks), e.Message, StringComparison.Ordinal);
        Assert.Contains("vqa", PyTorchLayouts.Tasks);
    }

    private static Tensor Scale(Tensor t, float by) => new([.. t.Data.Select(v => v * by)], t.Shape);

    private static double MaxDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double d = 0;
        for (int i = 0; i < a.Length; i++) d = Math.Max(d, Math.Abs(a[i] - b[i]));
        return d;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
