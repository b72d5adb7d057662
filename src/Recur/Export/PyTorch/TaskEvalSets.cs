using System.Text.Json.Nodes;
using Recur.Data;
using Recur.Data.Glimpse;
using Recur.IO;
using Recur.Tasks.Dialog;
using Recur.Tasks.Draw;
using Recur.Tasks.Glimpse;
using Recur.Tasks.Scenes;
using Recur.Tasks.Video;
using Recur.Tasks.Vqa;

namespace Recur.Export.PyTorch;

/// <summary>
/// The evaluation sets of the task packages (vqa, dialog, video, glimpse, draw): the inputs <c>recur TASK eval RUN</c>
/// scores on its validation split, made by Recur (the scenes, dialogs, clips and cluttered canvases come from Recur's
/// generators and the frozen encoder's features, the DRAW bound's noise from Recur's stream) and written as
/// <c>eval_set.safetensors</c> for the package's <c>eval.py</c>. Written where the run's data folder (or the export's
/// <c>--data</c>) holds its Fashion-MNIST files; otherwise the package has none and <c>eval.py</c> says how to get one.
/// <code>
/// vqa     PART.features F32 (S, L, D), PART.scene I64 (N), PART.questions I64 (N, T), PART.choices I64 (N, 4), PART.answers I64 (N)
/// dialog  PART.features F32 (S, L, D), PART.scene I64 (N), PART.questions I64 (N, R, T), PART.answers I64 (N, R)
/// video   x F32 (N, T, D), actions I64 (N), visible F32 (N, T, C)
/// glimpse images F32 (N, H W), labels I64 (N)
/// draw    images F32 (N, P) binarised, eps F32 (T, N, Z): chunk k of 200 images drew its noise k-th from one stream
/// </code>
/// PART is each split of the validation scenes (metadata <c>parts</c>: <c>validation-seen,validation-heldout</c>).
/// </summary>
public static class TaskEvalSets
{
    /// <summary>The file the packages read.</summary>
    public const string FileName = "eval_set.safetensors";

    /// <summary>A writer for <see cref="PyTorchLayout.WriteData"/> from the run and its data folder, skipped where the data is not there.</summary>
    public static Action<JsonObject, string, JsonObject> Writer(Func<string, string, SafeTensorsFile> make) => (config, folder, export) =>
    {
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>()
            ?? config["training"]?["data"]?.GetValue<string>();
        string checkpoint = export["checkpoint"]!.GetValue<string>();
        string path = Path.Combine(folder, FileName);
        File.Delete(path);
        if (source is null || !Directory.Exists(source)) return;
        export["data"] = source;
        SafeTensorsFile set;
        try { set = make(checkpoint, source); }
        catch (Exception e) when (e is IOException or InvalidDataException or IdxFormatException or ArgumentException) { return; }
        SafeTensors.Write(path, set);
        export["eval_set"] = FileName;
    };

    /// <summary>The questions about both validation scene splits of a VQA run.</summary>
    public static SafeTensorsFile Vqa(string checkpoint, string data)
    {
        var ck = VqaCheckpoint.Instance.Load(checkpoint);
        var (seen, held) = Splits(ck.Scenes, VqaDefinition.Instance.RecordedOptions(ck).ValFrac, data);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var integers = new List<KeyValuePair<string, IntegerArray>>();
        foreach (var part in new[] { seen, held })
        {
            var set = VqaQuestions.Of(ck.Encoder.Encode(part), part, ck.QuestionsPerScene, ck.Scenes.Seed);
            int n = set.Count, T = ck.Model.Config.MaxWords;
            int[] q = new int[n * T], c = new int[n * 4], a = new int[n];
            set.Fill([.. Enumerable.Range(0, n)], new Tensor(n, set.Locations, set.FeatureDim), q, c, a);
            tensors.Add(new($"{part.Name}.features", set.Features));
            integers.AddRange([new($"{part.Name}.scene", Ints(set.Items.Select(x => x.Scene), n)), new($"{part.Name}.questions", Ints(q, n, T)),
                new($"{part.Name}.choices", Ints(c, n, 4)), new($"{part.Name}.answers", Ints(a, n))]);
        }
        return new SafeTensorsFile(tensors, integers, Parts(seen.Name, held.Name));
    }

    /// <summary>The dialogs about both validation scene splits of a dialog run.</summary>
    public static SafeTensorsFile Dialog(string checkpoint, string data)
    {
        var ck = DialogCheckpoint.Instance.Load(checkpoint);
        var (seen, held) = Splits(ck.Scenes, DialogDefinition.Instance.RecordedOptions(ck).ValFrac, data);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var integers = new List<KeyValuePair<string, IntegerArray>>();
        foreach (var part in new[] { seen, held })
        {
            var set = DialogSets.Of(ck.Encoder.Encode(part), [part], ck.Rounds, ck.DialogsPerScene, ck.Scenes.Seed);
            int n = set.Count, R = set.Rounds, T = ck.Model.Config.MaxWords;
            int[] q = new int[n * R * T], a = new int[n * R];
            set.Fill([.. Enumerable.Range(0, n)], new Tensor(n, set.Locations, set.FeatureDim), q, a);
            tensors.Add(new($"{part.Name}.features", set.Features));
            integers.AddRange([new($"{part.Name}.scene", Ints(set.Dialogs.Select(d => d.Scene), n)), new($"{part.Name}.questions", Ints(q, n, R, T)),
                new($"{part.Name}.answers", Ints(a, n, R))]);
        }
        return new SafeTensorsFile(tensors, integers, Parts(seen.Name, held.Name));
    }

    /// <summary>The validation clips of a video run, encoded by its frozen encoder.</summary>
    public static SafeTensorsFile Video(string checkpoint, string data)
    {
        var ck = VideoCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        var clips = VideoDefinition.EvalSplit(train, test, ck.Clips, VideoDefinition.Instance.RecordedOptions(ck).ValFrac, "validation");
        var set = VideoDataset.Encode(ck.Encoder, clips);
        return new SafeTensorsFile([new("x", set.Features), new("visible", new Tensor(set.Visible, set.Count, set.Frames, set.Classes))],
            [new("actions", Ints(set.Actions, set.Count))]);
    }

    /// <summary>The validation canvases of a glimpse run.</summary>
    public static SafeTensorsFile Glimpse(string checkpoint, string data)
    {
        var ck = GlimpseCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        var canvases = ClutteredSplit.Scored("validation", train, test, ck.Clutter);
        int N = canvases.Count;
        var x = new Tensor(N, canvases.Pixels);
        var labels = new int[N];
        canvases.Fill([.. Enumerable.Range(0, N)], 0, x.Data, labels);
        return new SafeTensorsFile([new("images", x)], [new("labels", Ints(labels, N))]);
    }

    /// <summary>The binarised validation images of a DRAW run and the noise its bound draws (<see cref="DrawBound.Of"/>).</summary>
    public static SafeTensorsFile Draw(string checkpoint, string data)
    {
        var ck = DrawCheckpoint.Instance.Load(checkpoint);
        var images = DrawDefinition.Instance.SplitImages(ck, DrawDefinition.Instance.LoadData(data), "validation");
        var c = ck.Model.Config;
        int N = images.Count, T = c.Steps, Z = c.Latent;
        var x = new Tensor(N, c.Pixels);
        DrawData.Binarize(images, [.. Enumerable.Range(0, N)], x.Data);
        var eps = new Tensor(T, N, Z);                           // (T, N, Z): chunk k's noise (T, b, Z) at columns [200 k, 200 k + b)
        var rng = new Rng(DrawBound.NoiseSeed);
        for (int start = 0; start < N; start += DrawBound.Chunk)
        {
            int b = Math.Min(DrawBound.Chunk, N - start);
            var e = ck.Model.Noise(rng, b);
            for (int t = 0; t < T; t++) e.Data.AsSpan(t * b * Z, b * Z).CopyTo(eps.Data.AsSpan((t * N + start) * Z));
        }
        return new SafeTensorsFile([new("images", x), new("eps", eps)], null,
            new Dictionary<string, string> { ["chunk"] = DrawBound.Chunk.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    private static (Data.Scenes.SceneSplit Seen, Data.Scenes.SceneSplit HeldOut) Splits(Data.Scenes.SceneOptions scenes, double valFrac, string data)
    {
        var (train, test) = FashionMnist.Load(data);
        return SceneRuns.EvalSplits(train, test, scenes, valFrac, "validation");
    }

    private static Dictionary<string, string> Parts(string seen, string held) => new() { ["parts"] = $"{seen},{held}" };

    private static IntegerArray Ints(IEnumerable<int> values, params int[] shape) => new([.. values.Select(v => (long)v)], shape);
}
