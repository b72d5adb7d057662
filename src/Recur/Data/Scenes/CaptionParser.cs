namespace Recur.Data.Scenes;

/// <summary>
/// What a caption of <see cref="CaptionGrammar"/> says: either how many objects of each class there are
/// (<see cref="Counts"/>), or that an object of class <see cref="First"/> stands in <see cref="Relation"/> to one of
/// class <see cref="Second"/>.
/// </summary>
public sealed record CaptionMeaning(int[]? Counts, int First = -1, Relation Relation = default, int Second = -1)
{
    /// <summary>True for a relation, false for a list of counted objects.</summary>
    public bool IsRelation => Counts is null;

    /// <summary>
    /// True when the caption is exactly right about <paramref name="scene"/>: a list must name every object with its
    /// count (and the scene must be one captioned by a list); a relation must name the scene's two objects and a relation
    /// that holds between them.
    /// </summary>
    public bool IsTrueOf(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (!IsRelation)
        {
            if (CaptionGrammar.IsRelational(scene)) return false;
            var truth = new int[CaptionGrammar.Singular.Count];
            foreach (var it in scene.Items) truth[it.Class]++;
            return truth.AsSpan().SequenceEqual(Counts);
        }
        if (!CaptionGrammar.IsRelational(scene)) return false;
        foreach (var (x, y) in new[] { (scene.Items[0], scene.Items[1]), (scene.Items[1], scene.Items[0]) })
            if (x.Class == First && y.Class == Second && CaptionGrammar.Holding(scene, x.Cell, y.Cell).Contains(Relation)) return true;
        return false;
    }
}

/// <summary>Reads a caption of <see cref="CaptionGrammar"/> back into its <see cref="CaptionMeaning"/>; anything outside the grammar gives null.</summary>
public static class CaptionParser
{
    /// <summary>The meaning of <paramref name="caption"/> (words separated by spaces), or null when the grammar does not produce it.</summary>
    public static CaptionMeaning? Parse(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        return Parse(caption.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The meaning of a caption given as words, or null.</summary>
    public static CaptionMeaning? Parse(IReadOnlyList<string> w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (TryRelation(w) is { } rel) return rel;
        var counts = new int[CaptionGrammar.Singular.Count];
        int i = 0;
        while (true)
        {
            if (i + 2 > w.Count) return null;
            int n = IndexOf(CaptionGrammar.Counts, w[i]);
            if (n < 1) return null;
            int cls = IndexOf(n == 1 ? CaptionGrammar.Singular : CaptionGrammar.Plural, w[i + 1]);
            if (cls < 0 || counts[cls] != 0) return null; // each class is named once
            counts[cls] = n;
            i += 2;
            if (i == w.Count) break;
            if (w[i] != "and") return null;
            i++;
        }
        return counts.Sum() is >= 1 and <= 9 ? new CaptionMeaning(counts) : null;
    }

    private static CaptionMeaning? TryRelation(IReadOnlyList<string> w)
    {
        if (w.Count < 5 || w[0] != "a" || w[^2] != "a") return null;
        int first = IndexOf(CaptionGrammar.Singular, w[1]), second = IndexOf(CaptionGrammar.Singular, w[^1]);
        if (first < 0 || second < 0 || first == second) return null;
        string middle = string.Join(' ', w.Skip(2).Take(w.Count - 4));
        foreach (var r in Enum.GetValues<Relation>())
            if (middle == CaptionGrammar.Phrase(r)) return new CaptionMeaning(null, first, r, second);
        return null;
    }

    private static int IndexOf(IReadOnlyList<string> list, string word)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == word) return i;
        return -1;
    }
}
