using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;

namespace Recur.Training;

/// <summary>What the runs on scenes (captioning, VQA) share: drawing and encoding the training scenes, and recording which images they came from.</summary>
public static class SceneRuns
{
    /// <summary>The training scenes <paramref name="scenes"/> describes, drawn from <paramref name="train"/>, and their features <c>(N, L, D)</c>.</summary>
    public static (SceneSplit Split, Tensor Features) TrainingScenes(SceneEncoder encoder, LabeledImages train, SceneOptions scenes, int threads)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(scenes);
        var (tr, _, _, _) = SceneGenerator.Build(train, train, scenes with { TestSeen = 0, TestHeldOut = 0 });
        encoder.Network.Threads = threads;
        return (tr, encoder.Encode(tr));
    }

    /// <summary>Scenes held out for validation: the last <paramref name="valFrac"/> of <paramref name="count"/>.</summary>
    public static int ValidationCount(int count, double valFrac) => (int)Math.Round(count * valFrac);

    /// <summary>The record of the images a run was trained on (their number and a checksum of their labels).</summary>
    public static DataInfo DataOf(LabeledImages train, string source)
    {
        ArgumentNullException.ThrowIfNull(train);
        return new DataInfo(source, train.Count, CheckpointFiles.TokenChecksum(train.Labels.Select(b => (int)b).ToArray()));
    }

    /// <summary>Throws when a resumed run is given other images than it was trained on.</summary>
    public static void CheckSameData(DataInfo? saved, DataInfo now)
    {
        ArgumentNullException.ThrowIfNull(now);
        if (saved is { } d && (d.Characters != now.Characters || d.Checksum != now.Checksum))
            throw new ArgumentException($"the images ({now.Characters}) are not the ones this run was trained on ({d.Source}, {d.Characters}); resume with the same data.");
    }
}
