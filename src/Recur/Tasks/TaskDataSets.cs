using Recur.Data;
using Recur.Data.Glimpse;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Tasks.Dialog;
using Recur.Tasks.Draw;
using Recur.Tasks.Glimpse;
using Recur.Tasks.Scenes;
using Recur.Tasks.Video;
using Recur.Tasks.Vqa;

namespace Recur.Tasks;

/// <summary>
/// The data sets of the task packages (vqa, dialog, video, glimpse, draw): the inputs <c>recur TASK eval RUN</c>
/// scores on its validation split, made by Recur (the scenes, dialogs, clips and cluttered canvases come from Recur's
/// generators and the frozen encoder's features, the DRAW bound's noise from Recur's stream) and written as
/// <c>eval_set.safetensors</c> for the package's <c>eval.py</c> (<see cref="PyTorchDataSets"/> writes them where the run's data
/// folder, or the export's <c>--data</c>, holds its Fashion-MNIST files; otherwise the package has none and <c>eval.py</c>
/// says how to get one).
/// <code>
/// vqa     PART.features F32 (S, L, D), PART.scene I64 (N), PART.questions I64 (N, T), PART.choices I64 (N, 4), PART.answers I64 (N)
/// dialog  PART.features F32 (S, L, D), PART.scene I64 (N), PART.questions I64 (N, R, T), PART.answers I64 (N, R)
/// video   x F32 (N, T, D), actions I64 (N), visible F32 (N, T, C)
/// glimpse images F32 (N, H W), labels I64 (N); the training set the same for the checkpoint's epoch, and epoch I64 (1)
/// draw    images F32 (N, P) binarised, eps F32 (T, N, Z): chunk k of 200 images drew its noise k-th from one stream
/// </code>
/// PART is each split of the validation scenes (metadata <c>parts</c>: <c>validation-seen,validation-heldout</c>). The packages
/// that train (vqa, dialog, video, glimpse) also get <c>train_set.safetensors</c>: the training questions, dialogs (PART <c>train</c>) or
/// clips in the same form, in Recur's example order (train.py shuffles them as Recur's epochs do). The sequence tasks (tag,
/// g2p, translate) get a training set only (<see cref="SequenceDataSets"/>), made from the run's corpus or dictionary; sentiment
/// both sets, its validation and training reviews, from its reviews file.
/// </summary>
public static class TaskDataSets
{
    /// <summary>
    /// The sets of a <paramref name="task"/> run's checkpoint <paramref name="checkpoint"/> from its Fashion-MNIST folder
    /// <paramref name="data"/>: (evaluation set, training set or null); null for a task whose package reads its own data.
    /// A <see cref="PyTorchDataSetMaker"/> for <see cref="PyTorchExport.Write"/>.
    /// </summary>
    public static (SafeTensorsFile? Eval, SafeTensorsFile? Train)? Make(string task, string checkpoint, string data) => task switch
    {
        VqaCheckpoint.TaskName => Vqa(checkpoint, data),
        DialogCheckpoint.TaskName => Dialog(checkpoint, data),
        VideoCheckpoint.TaskName => Video(checkpoint, data),
        GlimpseTask.TaskName => Glimpse(checkpoint, data),
        DrawTask.TaskName => (Draw(checkpoint, data), null),
        Tag.TagTask.TaskName => (null, SequenceDataSets.Tag(checkpoint, data)),
        G2p.G2pTask.TaskName => (null, SequenceDataSets.G2p(checkpoint, data)),
        Translate.TranslateTask.TaskName => (null, SequenceDataSets.Translate(checkpoint, data)),
        Sentiment.SentimentTask.TaskName => SequenceDataSets.Sentiment(checkpoint, data),
        _ => null,
    };

    /// <summary>The questions about both validation scene splits of a VQA run, and those about its training scenes.</summary>
    public static (SafeTensorsFile, SafeTensorsFile?) Vqa(string checkpoint, string data)
    {
        var ck = VqaCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        var (seen, held) = SceneRuns.EvalSplits(train, test, ck.Scenes, VqaDefinition.Instance.RecordedOptions(ck).ValFrac, "validation");
        var (split, features) = SceneRuns.TrainingScenes(ck.Encoder, train, ck.Scenes, Environment.ProcessorCount);
        var eval = new Entries();
        foreach (var part in new[] { seen, held })
            VqaPart(eval, part.Name, VqaQuestions.Of(ck.Encoder.Encode(part), part, ck.QuestionsPerScene, ck.Scenes.Seed), ck);
        var trainSet = new Entries();
        VqaPart(trainSet, "train", VqaQuestions.Of(features, split, ck.QuestionsPerScene, ck.Scenes.Seed), ck);
        return (eval.File(Parts(seen.Name, held.Name)), trainSet.File(Parts("train")));
    }

    private static void VqaPart(Entries into, string name, Models.Vqa.VqaDataset set, LoadedVqa ck)
    {
        int n = set.Count, T = ck.Model.Config.MaxWords;
        int[] q = new int[n * T], c = new int[n * 4], a = new int[n];
        set.Fill([.. Enumerable.Range(0, n)], new Tensor(n, set.Locations, set.FeatureDim), q, c, a);
        into.Tensors.Add(new($"{name}.features", set.Features));
        into.Integers.AddRange([new($"{name}.scene", Ints(set.Items.Select(x => x.Scene), n)), new($"{name}.questions", Ints(q, n, T)),
            new($"{name}.choices", Ints(c, n, 4)), new($"{name}.answers", Ints(a, n))]);
    }

    /// <summary>The dialogs about both validation scene splits of a dialog run, and those about its training scenes.</summary>
    public static (SafeTensorsFile, SafeTensorsFile?) Dialog(string checkpoint, string data)
    {
        var ck = DialogCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        var (seen, held) = SceneRuns.EvalSplits(train, test, ck.Scenes, DialogDefinition.Instance.RecordedOptions(ck).ValFrac, "validation");
        var (split, features) = SceneRuns.TrainingScenes(ck.Encoder, train, ck.Scenes, Environment.ProcessorCount);
        var eval = new Entries();
        foreach (var part in new[] { seen, held })
            DialogPart(eval, part.Name, DialogSets.Of(ck.Encoder.Encode(part), [part], ck.Rounds, ck.DialogsPerScene, ck.Scenes.Seed), ck);
        var trainSet = new Entries();
        DialogPart(trainSet, "train", DialogSets.Of(features, [split], ck.Rounds, ck.DialogsPerScene, ck.Scenes.Seed), ck);
        return (eval.File(Parts(seen.Name, held.Name)), trainSet.File(Parts("train")));
    }

    private static void DialogPart(Entries into, string name, Models.Dialog.DialogDataset set, LoadedDialog ck)
    {
        int n = set.Count, R = set.Rounds, T = ck.Model.Config.MaxWords;
        int[] q = new int[n * R * T], a = new int[n * R];
        set.Fill([.. Enumerable.Range(0, n)], new Tensor(n, set.Locations, set.FeatureDim), q, a);
        into.Tensors.Add(new($"{name}.features", set.Features));
        into.Integers.AddRange([new($"{name}.scene", Ints(set.Dialogs.Select(d => d.Scene), n)), new($"{name}.questions", Ints(q, n, R, T)),
            new($"{name}.answers", Ints(a, n, R))]);
    }

    /// <summary>The validation clips of a video run and its training clips, encoded by its frozen encoder.</summary>
    public static (SafeTensorsFile, SafeTensorsFile?) Video(string checkpoint, string data)
    {
        var ck = VideoCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        var clips = VideoDefinition.EvalSplit(train, test, ck.Clips, VideoDefinition.Instance.RecordedOptions(ck).ValFrac, "validation");
        ck.Encoder.Network.Threads = Environment.ProcessorCount;
        return (Clips(VideoDataset.Encode(ck.Encoder, clips)), Clips(VideoDataset.Encode(ck.Encoder, Data.Video.ClipGenerator.Training(train, ck.Clips))));
    }

    private static SafeTensorsFile Clips(VideoDataset set) =>
        new([new("x", set.Features), new("visible", new Tensor(set.Visible, set.Count, set.Frames, set.Classes))],
            [new("actions", Ints(set.Actions, set.Count))]);

    /// <summary>
    /// The validation canvases of a glimpse run, and the training canvases of the epoch its checkpoint is in (drawn afresh
    /// every epoch by Recur's generator: train.py stops at that epoch's end).
    /// </summary>
    public static (SafeTensorsFile, SafeTensorsFile?) Glimpse(string checkpoint, string data)
    {
        var ck = GlimpseCheckpoint.Instance.Load(checkpoint);
        var (train, test) = FashionMnist.Load(data);
        string state = Path.Combine(checkpoint, CheckpointFiles.StateFile);
        int epoch = File.Exists(state) && SafeTensors.Read(state).Integers.TryGetValue("position", out var p) ? (int)p.Data[0] : 0;
        var canvases = Canvases(ClutteredSplit.Scored("validation", train, test, ck.Clutter), 0);
        var training = Canvases(ClutteredSplit.Training(train, ck.Clutter), epoch);
        training.Integers.Add(new("epoch", new IntegerArray([epoch])));
        return (canvases.File([]), training.File([]));
    }

    /// <summary>Every canvas of <paramref name="split"/> as epoch <paramref name="epoch"/> draws it: images (N, S S), labels (N).</summary>
    private static Entries Canvases(ClutteredSplit split, int epoch)
    {
        int N = split.Count;
        var x = new Tensor(N, split.Pixels);
        var labels = new int[N];
        split.Fill([.. Enumerable.Range(0, N)], epoch, x.Data, labels);
        var entries = new Entries();
        entries.Tensors.Add(new("images", x));
        entries.Integers.Add(new("labels", Ints(labels, N)));
        return entries;
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

    private static Dictionary<string, string> Parts(params string[] names) => new() { ["parts"] = string.Join(",", names) };

    /// <summary>The entries of a file being made.</summary>
    private sealed class Entries
    {
        public List<KeyValuePair<string, Tensor>> Tensors { get; } = [];
        public List<KeyValuePair<string, IntegerArray>> Integers { get; } = [];
        public SafeTensorsFile File(Dictionary<string, string> metadata) => new(Tensors, Integers, metadata);
    }

    private static IntegerArray Ints(IEnumerable<int> values, params int[] shape) => new([.. values.Select(v => (long)v)], shape);
}
