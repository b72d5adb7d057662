namespace Recur.Analysis.Gallery;

/// <summary>A sample drawn from a model during training.</summary>
/// <param name="Iteration">Updates done when it was drawn.</param>
/// <param name="ValidationLoss">The model's validation loss then, in nats per character (NaN when not measured).</param>
/// <param name="Temperature">The sampling temperature.</param>
/// <param name="Text">The sample.</param>
public sealed record GallerySample(long Iteration, double ValidationLoss, double Temperature, string Text);

/// <summary>
/// The cell found for one feature: chosen on the validation split (largest |r|), its correlation then measured on the test
/// split, and an excerpt of the test text with the cell's activation and the feature at every character.
/// </summary>
/// <param name="Feature">The feature's name.</param>
/// <param name="Description">What the feature measures.</param>
/// <param name="Cell">The chosen cell, or null when the feature is constant on the validation text (nothing to choose by).</param>
/// <param name="ValidationR">Its Pearson r on the validation text, where it was chosen (NaN without a cell).</param>
/// <param name="TestR">Its Pearson r on the test text (NaN when the feature or the cell is constant there).</param>
/// <param name="ExcerptText">The characters of the excerpt, one string each.</param>
/// <param name="Activations">The cell's value at each excerpt character (empty without a cell).</param>
/// <param name="FeatureValues">The feature's value at each excerpt character.</param>
public sealed record FoundCell(string Feature, string Description, CellId? Cell, double ValidationR, double TestR,
    IReadOnlyList<string> ExcerptText, float[] Activations, float[] FeatureValues)
{
    /// <summary>True when the cell reaches <paramref name="threshold"/> in |r| on the test text.</summary>
    public bool Reaches(double threshold) => Cell is not null && double.IsFinite(TestR) && Math.Abs(TestR) >= threshold;
}

/// <summary>One corpus of the gallery as far as it has got.</summary>
/// <param name="Name">Its name (<c>shakespeare</c>, <c>linux-c</c>, <c>latex</c>).</param>
/// <param name="Description">Where the text comes from.</param>
/// <param name="Status">How far it has got (training, searching cells, done), one line.</param>
/// <param name="Samples">Samples by iteration, in order.</param>
/// <param name="Cells">The cells found, per feature (empty before the search).</param>
/// <param name="CellsNote">How the cells were found (model, splits, characters), one line; empty before the search.</param>
public sealed record GalleryCorpusPage(string Name, string Description, string Status, IReadOnlyList<GallerySample> Samples,
    IReadOnlyList<FoundCell> Cells, string CellsNote);
