namespace Recur.Analysis;

/// <summary>
/// A named per-character feature of a text that cells are correlated with: <see cref="Values"/> holds one value per
/// character, the state <em>after</em> reading that character (as the hidden state <c>h_p</c> is), e.g. 1 inside a
/// quotation and 0 outside, or the depth of brace nesting.
/// </summary>
/// <param name="Name">A short name (<c>in_quote</c>, <c>code_depth</c>).</param>
/// <param name="Description">One line saying what the feature measures, for reports.</param>
/// <param name="Values">The feature at every character of the text, in order.</param>
public sealed record CellFeature(string Name, string Description, float[] Values)
{
    /// <summary>The built-in features of <see cref="CellsFeatures"/> for <paramref name="text"/>.</summary>
    public static IReadOnlyList<CellFeature> BuiltIn(IReadOnlyList<System.Text.Rune> text)
    {
        var values = CellsFeatures.Compute(text);
        return [.. CellsFeatures.Names.Select((n, f) => new CellFeature(n, CellsFeatures.Descriptions[f], values[f]))];
    }
}
