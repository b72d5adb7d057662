using Recur.Data.Scenes;
using Recur.Models.Vqa;

namespace Recur.Tasks.Vqa;

/// <summary>The questions of a VQA run's scenes.</summary>
public static class VqaQuestions
{
    /// <summary>Questions about the scenes of a split: <paramref name="perScene"/> each, drawn from the scenes' seed and the split's name.</summary>
    public static VqaDataset Of(Tensor features, SceneSplit split, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        return Of(features, [split], perScene, seed);
    }

    /// <summary>
    /// Questions about the scenes of several splits at once, <paramref name="features"/> <c>(N, L, D)</c> holding theirs
    /// one split after another: each split's questions are those <see cref="Of(Tensor, SceneSplit, int, ulong)"/> asks
    /// of it alone (drawn from the seed and the split's name), so a split scored alone gets the same questions.
    /// </summary>
    public static VqaDataset Of(Tensor features, IReadOnlyList<SceneSplit> splits, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        var scenes = new List<Scene>();
        var questions = new List<(int Scene, SceneQuestion Question)>();
        foreach (var split in splits)
        {
            ulong salt = 14695981039346656037UL; // FNV-1a of the name: stable across processes, unlike string.GetHashCode
            foreach (char ch in split.Name) salt = (salt ^ ch) * 1099511628211UL;
            int offset = scenes.Count;
            questions.AddRange(VqaDataset.Draw(split.Scenes, perScene, seed * 0x9E3779B97F4A7C15UL ^ salt).Select(q => (offset + q.Scene, q.Question)));
            scenes.AddRange(split.Scenes);
        }
        return new VqaDataset(features, scenes, questions);
    }
}
