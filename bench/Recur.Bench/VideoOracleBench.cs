using System.Globalization;
using Recur.Data;
using Recur.Data.Video;
using Recur.Tasks.Video;
using Recur.IO;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// <c>video-oracle RUN [FASHION_DIR] [--split validation|test]</c>: the per-frame visibility F1 that a video run's frozen
/// encoder allows. The oracle knows where every object is and when it is visible (the labels' own half-ink rule), and
/// names each object by the encoder's class for the object's whole 28x28 image, centred, as the classifier was trained
/// to read it; its only errors are the encoder's. Printed beside the run's own F1 on the same clips, so that a goal above
/// the oracle's figure is known to need a better frame reader, not a better recurrence.
/// </summary>
internal static class VideoOracleBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("usage: video-oracle RUN [FASHION_DIR] [--split validation|test]");
            return 2;
        }
        string run = args[0];
        string dataDir = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : FashionMnist.DefaultDirectory;
        string split = TorchRef.Option(args, "--split", "validation");
        var ck = VideoCheckpoint.Instance.Load(run, CheckpointKind.Best);
        var (train, test) = FashionMnist.Load(dataDir);
        double valFrac = VideoDefinition.Instance.RecordedOptions(ck).ValFrac;
        var clips = VideoDefinition.EvalSplit(train, test, ck.Clips, valFrac, split);
        var images = clips.Images;
        int[] named = EncoderClasses(ck, images, clips.Clips.SelectMany(c => c.Objects.Select(o => o.Image)).Distinct().ToArray());

        int T = ck.Clips.Frames, C = images.ClassCount, N = clips.Clips.Count, objects = 0, wrongObjects = 0;
        var truth = new float[N * T * C];
        var oracle = new float[N * T * C];
        for (int n = 0; n < N; n++)
        {
            var clip = clips.Clips[n];
            var renamed = clip with { Objects = [.. clip.Objects.Select(o => o with { Class = named[o.Image] })] };
            bool[] v = clip.Visible(images), p = renamed.Visible(images);
            for (int k = 0; k < v.Length; k++)
            {
                truth[n * T * C + k] = v[k] ? 1f : 0f;
                oracle[n * T * C + k] = p[k] ? 10f : -10f;   // a logit: visible when above 0
            }
            objects += clip.Objects.Count;
            wrongObjects += clip.Objects.Count(o => named[o.Image] != o.Class);
        }
        var actions = clips.Clips.Select(c => (int)c.Action).ToArray();
        var actionLogits = new float[N * VideoActions.All.Count];
        for (int n = 0; n < N; n++) actionLogits[n * VideoActions.All.Count + actions[n]] = 1f;
        var s = VideoScore.FromLogits(actionLogits, actions, oracle, truth, T, VideoActions.All.Count);
        var inv = CultureInfo.InvariantCulture;
        double named0 = 1 - (double)wrongObjects / objects;
        Console.WriteLine(string.Create(inv, $"{split}: {N:N0} clips, {objects:N0} objects; the encoder names {named0:F4} of them right"));
        Console.WriteLine(string.Create(inv, $"oracle (true places and visibility, the encoder's class for each object): per-frame visibility F1 "
            + $"{s.VisibleF1:F4} (precision {s.VisiblePrecision:F4}, recall {s.VisibleRecall:F4})"));
        ck.Model.Threads = 1;
        ck.Encoder.Network.Threads = 1;
        var model = VideoScore.Of(ck.Model, VideoDataset.Encode(ck.Encoder, clips));
        Console.WriteLine(string.Create(inv, $"the run itself on the same clips: F1 {model.VisibleF1:F4} (precision {model.VisiblePrecision:F4}, "
            + $"recall {model.VisibleRecall:F4}), action accuracy {model.ActionAccuracy:F4}"));
        return 0;
    }

    /// <summary>The encoder's class (highest logit) for each image of <paramref name="images"/> named in <paramref name="used"/>.</summary>
    private static int[] EncoderClasses(LoadedVideo ck, LabeledImages images, int[] used)
    {
        var net = ck.Encoder.Network;
        net.Threads = 1;
        var named = Enumerable.Repeat(-1, images.Count).ToArray();
        const int batch = 256;
        for (int start = 0; start < used.Length; start += batch)
        {
            var idx = used.AsSpan(start, Math.Min(batch, used.Length - start)).ToArray();
            var x = net.NewInput(images, idx.Length);
            net.FillInput(images, idx, x);
            var logits = net.Forward(x);
            int K = net.Classes;
            for (int b = 0; b < idx.Length; b++)
            {
                var row = logits.Data.AsSpan(b * K, K);
                int best = 0;
                for (int k = 1; k < K; k++) if (row[k] > row[best]) best = k;
                named[idx[b]] = best;
            }
        }
        return named;
    }
}
