using Recur.Data.Scenes;

namespace Recur.Models.Captioning;

/// <summary>
/// Scenes ready for a captioner: their feature grids <c>(N, L, D)</c>, their canonical captions encoded
/// <c>(N, MaxWords + 2)</c>, and the scenes themselves (for references and exact-match scoring).
/// </summary>
public sealed class CaptionDataset
{
    /// <summary>Pairs <paramref name="features"/> <c>(N, L, D)</c> with <paramref name="scenes"/> (N of them).</summary>
    public CaptionDataset(Tensor features, IReadOnlyList<Scene> scenes, CaptionVocabulary vocabulary, int maxWords)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (features.Rank != 3 || features.Shape[0] != scenes.Count) throw new ArgumentException($"features {features.ShapeString} for {scenes.Count} scenes.");
        Features = features; Scenes = scenes; Vocabulary = vocabulary; Width = maxWords + 2;
        Captions = new int[scenes.Count * Width];
        for (int i = 0; i < scenes.Count; i++) vocabulary.Encode(CaptionGrammar.Canonical(scenes[i]), Captions.AsSpan(i * Width, Width));
    }

    public Tensor Features { get; }
    public IReadOnlyList<Scene> Scenes { get; }
    public CaptionVocabulary Vocabulary { get; }

    /// <summary>Ids per caption: <c>MaxWords + 2</c>.</summary>
    public int Width { get; }

    /// <summary>The canonical captions, encoded, <c>(N, Width)</c>.</summary>
    public int[] Captions { get; }

    public int Count => Scenes.Count;

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => Features.Shape[1];

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim => Features.Shape[2];

    /// <summary>Scenes <c>[start, start + count)</c>.</summary>
    public CaptionDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"[{start}, {start + count}) is outside [0, {Count}).");
        int per = Locations * FeatureDim;
        var f = new Tensor(Math.Max(count, 0), Locations, FeatureDim);
        Features.Data.AsSpan(start * per, count * per).CopyTo(f.Data);
        return new CaptionDataset(f, Scenes.Skip(start).Take(count).ToArray(), Vocabulary, Width - 2);
    }

    /// <summary>Writes the features and captions of <paramref name="indices"/> into a batch.</summary>
    public void Fill(ReadOnlySpan<int> indices, Tensor features, int[] captions)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(captions);
        int per = Locations * FeatureDim;
        for (int b = 0; b < indices.Length; b++)
        {
            Features.Data.AsSpan(indices[b] * per, per).CopyTo(features.Data.AsSpan(b * per, per));
            Captions.AsSpan(indices[b] * Width, Width).CopyTo(captions.AsSpan(b * Width, Width));
        }
    }

    /// <summary>Features <c>(count, L, D)</c> of scenes <c>[start, start + count)</c>, copied.</summary>
    public Tensor FeaturesOf(int start, int count)
    {
        int per = Locations * FeatureDim;
        var f = new Tensor(count, Locations, FeatureDim);
        Features.Data.AsSpan(start * per, count * per).CopyTo(f.Data);
        return f;
    }
}
