using Recur.Data.Glimpse;
using Recur.Data.Scenes;
using Recur.Data.Video;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Dialog;
using Recur.Models.Draw;
using Recur.Models.Glimpse;
using Recur.Models.Video;
using Recur.Models.Vqa;
using Recur.Tasks.Dialog;
using Recur.Tasks.Draw;
using Recur.Tasks.Glimpse;
using Recur.Tasks.Video;
using Recur.Tasks.Vqa;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// The vision task models exported with <c>recur export --pytorch</c> (vqa, dialog, video, glimpse, draw): each package's model.py,
/// run by PyTorch on the inputs Recur's model was given, gives Recur's outputs within 1e-4 for every variant of the task
/// (VQA with attention, blind, visual answers; dialog hre / memory / none, one hop and two, blind; video over fused and
/// stepped cells and both baselines; the attention model along given noise and along the policy's mean, and the CNN;
/// DRAW with and without attention, its bound and canvases); per family, a package with one weight tensor scaled by 1 %
/// does not (the check can fail).
/// </summary>
public sealed class PyTorchVisionTaskModelTests : IDisposable
{
    private const int B = 3;
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-tasks-").FullName;
    private readonly List<string> _args = [Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", "vision_task_outputs.py")];
    private readonly Dictionary<string, Dictionary<string, float[]>> _expected = [];
    private readonly Rng _rng = new(7);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [SkippableFact]
    public void EveryTaskModelGivesRecursOutputsInPyTorch()
    {
        TorchPython.RequireTorch();
        AddVqa();
        AddDialog();
        AddVideo();
        AddGlimpse();
        AddDraw();
        var mutants = new[] { ("vqa-visual", "rnn.weight_hh_l0"), ("vqa-members", "members.2.visual.weight"), ("vqa-presence", "presence.weight"), ("dialog-hre-2", "fuse_q.weight"), ("video-lstm", "proj.weight"),
            ("glimpse-ram", "core.weight_hh"), ("draw-attention", "encoder.weight_ih") };
        foreach (var (name, tensor) in mutants) AddMutant(name, tensor);
        TorchPython.Check(_dir, [.. _args]);

        var failures = new List<string>();
        foreach (var (name, outputs) in _expected)
        {
            var got = SafeTensors.Read(Path.Combine(_dir, name + ".out.safetensors"));
            double d = outputs.Max(o => MaxDiff(o.Value, got.GetTensor(o.Key).Data));
            bool mutant = name.EndsWith("-mutant", StringComparison.Ordinal);
            if (mutant && !(d > 1e-4)) failures.Add($"{name}: scaling one tensor by 1 % moved the outputs only {d:G3}: the check cannot fail");
            if (!mutant && !(d <= 1e-4)) failures.Add($"{name}: max |difference| {d:G3}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(31, _expected.Count);
    }

    private void AddVqa()
    {
        var encoder = Encoder();
        int D = encoder.FeatureDim, T = 5;
        var baseConfig = new VqaConfig
        {
            Vocab = 9, Answers = 7, Embed = 4, Hidden = 5, GridRows = 2, GridCols = 2, FeatureDim = D, AttentionDim = 4, Fusion = 6, MaxWords = T,
        };
        foreach (var (name, config) in new[] { ("vqa-attention", baseConfig), ("vqa-blind", baseConfig with { Blind = true }),
            ("vqa-visual", baseConfig with { VisualAnswers = [0, 2, 5] }),
            ("vqa-counts", baseConfig with { VisualAnswers = [0, 2, 5], ClassCountOffset = 1, ClassCountWidth = 2 }),
            ("vqa-counting", baseConfig with { VisualAnswers = [0, 2], ClassCountOffset = 1, ClassCountWidth = 2, CountAnswers = [3, 6] }),
            ("vqa-members", baseConfig with { VisualAnswers = [0, 2, 5], ClassCountOffset = 1, ClassCountWidth = 2, Members = 3 }),
            ("vqa-presence", baseConfig with { VisualAnswers = [0, 2], ClassCountOffset = 1, ClassCountWidth = 2, CountAnswers = [3, 6], Presence = true }) })
        {
            // the models added in session 25 draw from a stream of their own, so that every other model keeps its draws
            var rng = config.Members > 1 || config.Presence ? new Rng(25) : _rng;
            var model = new VqaModel(config);
            model.Reset(rng);
            foreach (var p in model.Store.Parameters.Where(p => p.Name.Contains("presence", StringComparison.Ordinal)))
                Tensor.Randn(rng, 0.3f, p.Length).Data.CopyTo(p.Value); // presence starts at zero, which a 1 % scaling cannot move
            var features = Tensor.Randn(rng, 1f, B, 4, D);
            int[] questions = Questions(B, T, 9, rng), choices = [.. Enumerable.Range(0, B * 4).Select(i => (i * 3 + i / 4) % 7)];
            var scores = model.Forward(features, questions, choices).ToArray();
            Add(name, run => VqaCheckpoint.Instance.Write(run, new LoadedVqa(model, encoder, new SceneOptions(), 2), null, null, null),
                [new("features", features)], [new("questions", Ints(questions, B, T)), new("choices", Ints(choices, B, 4))], new() { ["scores"] = scores });
        }
    }

    private void AddDialog()
    {
        var encoder = Encoder();
        int D = encoder.FeatureDim, T = 5, R = 4, A = 9;
        var c = new DialogConfig
        {
            Vocab = 11, Answers = A, Embed = 4, Hidden = 5, GridRows = 2, GridCols = 2, FeatureDim = D, AttentionDim = 4, Fusion = 6, MaxWords = T,
        };
        foreach (var (name, config) in new[] { ("dialog-hre-2", c with { VisualAnswers = [0, 3, 5] }), ("dialog-hre-1", c with { Hops = 1 }),
            ("dialog-memory-2", c with { History = "memory", VisualAnswers = [1, 2] }), ("dialog-memory-1", c with { History = "memory", Hops = 1 }),
            ("dialog-none-2", c with { History = "none" }), ("dialog-blind-hre", c with { Blind = true }),
            ("dialog-blind-none-1", c with { Blind = true, History = "none", Hops = 1 }) })
        {
            var model = new DialogModel(config);
            model.Reset(_rng);
            var features = Tensor.Randn(_rng, 1f, B, 4, D);
            int[] questions = Questions(B * R, T, 11), answers = [.. Enumerable.Range(0, B * R).Select(_ => _rng.NextInt(A))];
            questions.AsSpan(0, T).CopyTo(questions.AsSpan((B * R - 1) * T));   // a question asked twice
            var scores = model.Forward(features, questions, answers).ToArray();
            Add(name, run => DialogCheckpoint.Instance.Write(run, new LoadedDialog(model, encoder, new SceneOptions(), R, 1), null, null, null),
                [new("features", features)], [new("questions", Ints(questions, B, R, T)), new("answers", Ints(answers, B, R))], new() { ["scores"] = scores });
        }
    }

    private void AddVideo()
    {
        var encoder = Encoder();
        int T = 4, D = 5;
        var c = new VideoClassifierConfig { FeatureDim = D, Projection = 6, Hidden = 7, Actions = 4, Classes = 3 };
        foreach (var (name, config) in new[] { ("video-lstm", c with { Layers = 2 }), ("video-gru", c with { Model = "gru" }),
            ("video-rnn", c with { Model = "rnn" }), ("video-peephole", c with { Model = "peephole", Layers = 2 }),
            ("video-average", c with { Model = "average" }), ("video-middle", c with { Model = "middle" }) })
        {
            var model = new VideoClassifier(config);
            model.Reset(_rng);
            var x = Tensor.Randn(_rng, 1f, T, B, D);
            var (action, visible) = model.Forward(x);
            Add(name, run => VideoCheckpoint.Instance.Write(run, new LoadedVideo(model, encoder, new ClipOptions()), null, null, null), [new("x", x)], [],
                new() { ["action"] = action.Data[..(B * 4)], ["visible"] = visible.Data[..(T * B * 3)] });
        }
    }

    private void AddGlimpse()
    {
        const int Side = 28;
        var config = new GlimpseConfig
        {
            Width = Side, Height = Side, Steps = 3, Scales = 2, Patch = 3, GlimpseHidden = 5, LocationHidden = 4, GlimpseOut = 7, CoreHidden = 6,
        };
        var ram = new RamClassifier(new RecurrentAttentionModel(config));
        ram.Reset(_rng);
        var images = new Tensor([.. Enumerable.Range(0, B * Side * Side).Select(_ => _rng.NextFloat())], B, Side * Side);
        var first = new Tensor([.. Enumerable.Range(0, B * 2).Select(_ => _rng.NextFloat() * 1.8f - 0.9f)], B, 2);
        var eps = Tensor.Randn(_rng, 1f, config.Steps - 1, B, 2);
        var logits = ram.Model.Forward(images, first, eps).Data;
        var locations = ram.Model.Trace().Locations.Data;
        var mean = ram.Classify(images).Data;
        Add("glimpse-ram", run => GlimpseCheckpoint.Instance.Write(run, new LoadedGlimpse(ram, new ClutterOptions { Size = Side }), null, null, null),
            [new("images", images), new("first", first), new("eps", eps)], [],
            new() { ["logits"] = logits, ["locations"] = locations, ["mean_logits"] = mean });
        var cnn = new CnnClassifier(new ConvNet(new ConvNetConfig { Rows = Side, Cols = Side, Channels = [2, 3], Fc = 5 }));
        cnn.Reset(_rng);
        Add("glimpse-cnn", run => GlimpseCheckpoint.Instance.Write(run, new LoadedGlimpse(cnn, new ClutterOptions { Size = Side }), null, null, null),
            [new("images", images)], [], new() { ["logits"] = cnn.Classify(images).Data[..(B * 10)] });
    }

    private void AddDraw()
    {
        var c = new DrawConfig { Width = 6, Height = 5, Steps = 3, EncoderHidden = 7, DecoderHidden = 7, Latent = 4, ReadN = 2, WriteN = 3 };
        foreach (var (name, config) in new[] { ("draw-attention", c), ("draw-plain", c with { Attention = false }) })
        {
            var model = new DrawModel(config);
            model.Reset(_rng);
            var x = new Tensor([.. Enumerable.Range(0, B * 30).Select(_ => _rng.NextFloat() < 0.5f ? 1f : 0f)], B, 30);
            var eps = model.Noise(_rng, B);
            var loss = model.Forward(x, eps);
            Add(name, run => DrawCheckpoint.Instance.Write(run, new LoadedDraw(model), null, null, null), [new("images", x), new("eps", eps)], [],
                new() { ["loss"] = [(float)loss.Reconstruction, (float)loss.Latent], ["canvases"] = model.Canvases().Data });
        }
    }

    /// <summary>Saves the run, exports it, writes its inputs and records Recur's outputs.</summary>
    private void Add(string name, Action<string> save, List<KeyValuePair<string, Tensor>> tensors, List<KeyValuePair<string, IntegerArray>> integers,
        Dictionary<string, float[]> outputs)
    {
        string run = Path.Combine(_dir, name), package = Path.Combine(_dir, name + ".pkg"), inputs = Path.Combine(_dir, name + ".in.safetensors");
        Directory.CreateDirectory(run);
        save(run);
        PyTorchExport.Write(run, package);
        SafeTensors.Write(inputs, new SafeTensorsFile(tensors, integers));
        _expected[name] = outputs;
        _args.AddRange([package, inputs, Path.Combine(_dir, name + ".out.safetensors")]);
    }

    /// <summary>A copy of <paramref name="name"/>'s package with <paramref name="tensor"/> scaled by 1 %, expected to differ.</summary>
    private void AddMutant(string name, string tensor)
    {
        string from = Path.Combine(_dir, name + ".pkg"), to = Path.Combine(_dir, name + "-mutant.pkg");
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        var w = SafeTensors.Read(Path.Combine(to, "weights.safetensors"));
        Assert.Contains(tensor, w.Names);
        Tensor Scaled(Tensor t) => new([.. t.Data.Select(v => v * 1.01f)], t.Shape);
        SafeTensors.Write(Path.Combine(to, "weights.safetensors"),
            w.Names.Select(n => KeyValuePair.Create(n, n == tensor ? Scaled(w.GetTensor(n)) : w.GetTensor(n))));
        _expected[name + "-mutant"] = _expected[name];
        _args.AddRange([to, Path.Combine(_dir, name + ".in.safetensors"), Path.Combine(_dir, name + "-mutant.out.safetensors")]);
    }

    /// <summary>A tiny frozen scene encoder (its weights ride along in the package as encoder.*).</summary>
    private SceneEncoder Encoder()
    {
        var net = new ConvNet(new ConvNetConfig { Channels = [3], Fc = 0 });
        net.Reset(_rng);
        return new SceneEncoder(net, 3, false, "conv");
    }

    /// <summary><paramref name="n"/> questions of <paramref name="T"/> ids in [1, V), left-padded with 0 to between 2 and T words.</summary>
    private int[] Questions(int n, int T, int V, Rng? stream = null)
    {
        var rng = stream ?? _rng;
        var q = new int[n * T];
        for (int i = 0; i < n; i++)
        {
            int words = 2 + rng.NextInt(T - 1);
            for (int k = T - words; k < T; k++) q[i * T + k] = 1 + rng.NextInt(V - 1);
        }
        return q;
    }

    private static IntegerArray Ints(int[] values, params int[] shape) => new([.. values.Select(v => (long)v)], shape);

    private static double MaxDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double d = 0;
        for (int i = 0; i < a.Length; i++) d = Math.Max(d, Math.Abs(a[i] - b[i]));
        return d;
    }
}
