using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Recur.Models.Dialog;

namespace Recur.Tasks.Dialog;

/// <summary>The dialogs of a run's scenes.</summary>
public static class DialogSets
{
    /// <summary>
    /// Dialogs about the scenes of several splits at once, <paramref name="features"/> <c>(N, L, D)</c> holding theirs one split
    /// after another: <paramref name="perScene"/> dialogs of <paramref name="rounds"/> rounds about each scene, each split's
    /// drawn from the seed and the split's name, so a split scored alone gets the same dialogs.
    /// </summary>
    public static DialogDataset Of(Tensor features, IReadOnlyList<SceneSplit> splits, int rounds, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        var scenes = new List<Scene>();
        var dialogs = new List<SceneDialog>();
        foreach (var split in splits)
        {
            int offset = scenes.Count;
            dialogs.AddRange(DialogGenerator.ForScenes(split.Scenes, rounds, perScene, SplitSeed(seed, split.Name))
                .Select(d => d with { Scene = offset + d.Scene }));
            scenes.AddRange(split.Scenes);
        }
        return new DialogDataset(features, scenes, dialogs);
    }

    /// <summary>The seed of a split's dialogs: the scenes' seed and the FNV-1a hash of the split's name (stable across processes).</summary>
    public static ulong SplitSeed(ulong seed, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong salt = 14695981039346656037UL;
        foreach (char ch in name) salt = (salt ^ ch) * 1099511628211UL;
        return seed * 0x9E3779B97F4A7C15UL ^ salt;
    }
}
