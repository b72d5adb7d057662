using System.Globalization;
using System.Text;
using Recur.Analysis;
using Recur.Analysis.Gallery;
using Recur.Data;
using Recur.Tasks.CharLm;

namespace Recur.Tasks.Gallery;

/// <summary>
/// Finds the gallery's cells in a trained character model, as the protocol has every choice made: for each named feature of the
/// corpus's kind (<see cref="GalleryFeatures"/>), the recorded quantity (every <c>h</c>, <c>c</c> and gate of every layer) whose
/// activation has the largest Pearson |r| with the feature over the run's validation split is chosen, and its r is then measured
/// once on the test split. Both splits are cut into the pieces <see cref="Cells.Analyze"/> runs as streams, each from a zero
/// state, and the features are read afresh over each piece too, so that the model and the features start every piece alike.
/// </summary>
public static class GalleryCellFinder
{
    /// <summary>
    /// The cells of <paramref name="run"/> (trained on <paramref name="text"/>) for the features of <paramref name="kind"/>, and a
    /// line saying how.
    /// </summary>
    public static (IReadOnlyList<FoundCell> Cells, string Note) Find(LoadedCheckpoint run, TextKind kind, string text, GalleryOptions options)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        var training = run.Training ?? options.TrainingRun;
        var splits = DataSplits.Create(run.Vocabulary.Encode(text), training.ValFrac, training.TestFrac);
        var val = Held(splits.Val, run, options);
        var test = Held(splits.Test, run, options);
        int threads = options.Training.EffectiveThreads;
        var valFeatures = PieceFeatures(kind, val.Runes, options.Streams);
        var testFeatures = PieceFeatures(kind, test.Runes, options.Streams);
        var chosen = Cells.Analyze(run.Model, val.Tokens, val.Runes,
            new CellsOptions { Streams = options.Streams, RenderChars = 1, RenderCells = [], TopCells = 1, Threads = threads }, valFeatures);
        var best = chosen.Top.Select(top => top.Count > 0 ? top[0] : (CellCorrelation?)null).ToArray();
        // The test pass keeps the chosen cells' activations over the whole test text, so each excerpt can come from anywhere in it.
        var measured = Cells.Analyze(run.Model, test.Tokens, test.Runes, new CellsOptions
        {
            Streams = options.Streams, RenderChars = test.Tokens.Length, RenderBudget = long.MaxValue, TopCells = 1, Threads = threads,
            RenderCells = [.. best.Where(b => b is not null).Select(b => b!.Value.Offset)],
        }, testFeatures);
        int piece = Cells.PieceLength(test.Tokens.Length, options.Streams);
        var cells = new List<FoundCell>();
        for (int f = 0; f < valFeatures.Count; f++)
        {
            var feature = testFeatures[f];
            int start = ExcerptWindow.Choose(test.Runes, feature.Values, test.Runes.Length, options.ExcerptChars, piece);
            int length = Math.Min(options.ExcerptChars, test.Runes.Length - start);
            var excerpt = test.Runes.Skip(start).Take(length).Select(r => r.ToString()).ToArray();
            var values = feature.Values.AsSpan(start, length).ToArray();
            if (best[f] is not { } b)
            {
                cells.Add(new FoundCell(feature.Name, feature.Description, null, double.NaN, double.NaN, excerpt, [], values));
                continue;
            }
            cells.Add(new FoundCell(feature.Name, feature.Description, b.Cell, b.R, measured.Correlation[f][b.Offset], excerpt,
                measured.RenderRow(b.Offset).Slice(start, length).ToArray(), values));
        }
        var inv = CultureInfo.InvariantCulture;
        string note = $"Model: {CharLmDefinition.Describe(run.Config)}, at iteration {(run.Progress?.Iteration ?? 0).ToString("N0", inv)}. "
            + $"Each cell was chosen among all {chosen.Layout.Count.ToString("N0", inv)} recorded quantities (h, "
            + $"{(chosen.Layout.Kinds.Contains("c") ? "c, " : "")}the gates; layers from 1) as the one with the largest |r| over the first "
            + $"{val.Tokens.Length.ToString("N0", inv)} characters of the validation split, and its r was then measured on the first "
            + $"{test.Tokens.Length.ToString("N0", inv)} characters of the test split; each split was cut into {options.Streams} pieces run as "
            + "streams from a zero state, with the features also read afresh over each piece. The excerpts are from the test split.";
        return (cells, note);
    }

    private static (int[] Tokens, Rune[] Runes) Held(ReadOnlyMemory<int> split, LoadedCheckpoint run, GalleryOptions options)
    {
        var tokens = split.Span[..Math.Min(split.Length, options.MaxChars)].ToArray();
        if (tokens.Length < 2) throw new ArgumentException($"a held-out split has {tokens.Length} character(s); the cell search needs more text.");
        return (tokens, [.. tokens.Select(id => run.Vocabulary[id])]);
    }

    /// <summary>The features of <paramref name="kind"/> read afresh over each piece of <paramref name="text"/> (see <see cref="Cells.PieceLength"/>).</summary>
    public static IReadOnlyList<CellFeature> PieceFeatures(TextKind kind, Rune[] text, int streams)
    {
        ArgumentNullException.ThrowIfNull(text);
        int length = Cells.PieceLength(text.Length, streams);
        IReadOnlyList<CellFeature>? whole = null;
        for (int start = 0; start < text.Length; start += length)
        {
            var piece = GalleryFeatures.For(kind, text[start..Math.Min(text.Length, start + length)]);
            whole ??= [.. piece.Select(f => f with { Values = new float[text.Length] })];
            for (int f = 0; f < piece.Count; f++) piece[f].Values.CopyTo(whole[f].Values, start);
        }
        return whole!;
    }
}
