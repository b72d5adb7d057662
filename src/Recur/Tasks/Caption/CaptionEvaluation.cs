using Recur.Data.Scenes;
using Recur.Models.Captioning;

namespace Recur.Tasks.Caption;

/// <summary>How a captioner did on one split.</summary>
/// <param name="Split">The split's name.</param>
/// <param name="Decoding">greedy, or beam k.</param>
/// <param name="Scenes">Scenes captioned.</param>
/// <param name="Bleu">Corpus BLEU-1..4 against every true reference of each scene.</param>
/// <param name="ExactMatch">Fraction of captions exactly true of their scene (<see cref="CaptionParser"/>).</param>
/// <param name="AttentionAccuracy">For attention captioners: of the object words of exactly right captions, the fraction
/// whose most-attended location lies in a cell holding an object of that class; null otherwise.</param>
/// <param name="AttentionWords">Object words counted for <paramref name="AttentionAccuracy"/>.</param>
/// <param name="AttentionAccuracyAll">For attention captioners, unconditional: teacher-forced on each scene's canonical reference
/// caption, for each class word of the reference of every scene (right or wrongly captioned), whether the most-attended
/// location of the step that writes that word lies in a cell holding an object of that class; null otherwise (or when
/// no teacher-forced attention was given). Its denominator is fixed by the scenes alone, whatever the captioner writes.</param>
/// <param name="AttentionWordsAll">Object words counted for <paramref name="AttentionAccuracyAll"/>: every class word of every reference.</param>
public sealed record CaptionSplitScore(string Split, string Decoding, int Scenes, BleuScore Bleu, double ExactMatch, double? AttentionAccuracy,
    int AttentionWords, double? AttentionAccuracyAll = null, int AttentionWordsAll = 0);

/// <summary>Scores captions of scenes: BLEU, exact match, and whether attention points at the object each word names.</summary>
public static class CaptionEvaluation
{
    /// <summary>
    /// Decodes every scene of <paramref name="set"/> (greedy in batches of 256, or beam search of width
    /// <paramref name="beam"/> &gt; 1 one scene at a time) and scores the captions.
    /// </summary>
    public static (CaptionSplitScore Score, DecodedCaption[] Captions) Run(ICaptionDecoder model, CaptionDataset set, string split,
        int beam = 1, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        var captions = new DecodedCaption[set.Count];
        if (beam <= 1)
            for (int start = 0; start < set.Count; start += 256)
            {
                int n = Math.Min(256, set.Count - start);
                CaptionDecoder.Greedy(model, set.FeaturesOf(start, n), set.Vocabulary).CopyTo(captions, start);
            }
        else
            for (int i = 0; i < set.Count; i++) captions[i] = CaptionDecoder.Beam(model, set.FeaturesOf(i, 1), set.Vocabulary, beam, alpha);
        var forced = model.Config.Kind == "attention" ? TeacherForced(model, set) : null;
        return (Score(model.Config, set.Scenes, captions, split, beam <= 1 ? "greedy" : $"beam {beam}", forced), captions);
    }

    /// <summary>
    /// Each scene's canonical reference caption (<see cref="CaptionGrammar.Canonical"/>, the one captioners are trained on)
    /// fed to <paramref name="model"/> word by word (teacher forcing, in batches of 256), with the attention of the step that
    /// writes each of its words: the step fed <c>&lt;START&gt;</c> writes the first word, the step fed word k writes word k + 1.
    /// </summary>
    public static DecodedCaption[] TeacherForced(ICaptionDecoder model, CaptionDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        var result = new DecodedCaption[set.Count];
        for (int start = 0; start < set.Count; start += 256)
        {
            int n = Math.Min(256, set.Count - start);
            var stepper = model.Begin(set.FeaturesOf(start, n));
            var words = Enumerable.Range(start, n).Select(i => CaptionGrammar.Canonical(set.Scenes[i]).Split(' ')).ToArray();
            var maps = words.Select(_ => new List<float[]>()).ToArray();
            var previous = new int[n];
            int longest = words.Max(w => w.Length);
            for (int step = 0; step < longest; step++)
            {
                for (int b = 0; b < n; b++)
                    previous[b] = step == 0 ? CaptionVocabulary.Start
                        : step <= words[b].Length ? set.Vocabulary.Id(words[b][step - 1]) : CaptionVocabulary.End;
                stepper.Step(previous);
                var attention = stepper.Attention;
                int L = attention.IsEmpty ? 0 : attention.Length / n;
                for (int b = 0; b < n; b++)
                    if (L > 0 && step < words[b].Length) maps[b].Add(attention.Slice(b * L, L).ToArray());
            }
            for (int b = 0; b < n; b++)
                result[start + b] = new DecodedCaption([.. words[b].Select(set.Vocabulary.Id)], string.Join(' ', words[b]), maps[b], double.NaN);
        }
        return result;
    }
    /// <summary>
    /// Scores <paramref name="captions"/> of <paramref name="scenes"/>; with <paramref name="forced"/> (each scene's reference
    /// caption with its teacher-forced attention, <see cref="TeacherForced"/>) also the unconditional attention on the object.
    /// </summary>
    public static CaptionSplitScore Score(CaptionerConfig config, IReadOnlyList<Scene> scenes, IReadOnlyList<DecodedCaption> captions,
        string split, string decoding, IReadOnlyList<DecodedCaption>? forced = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(captions);
        var bleu = Bleu.Corpus([.. captions.Select(c => c.Text)], [.. scenes.Select(s => (IReadOnlyList<string>)CaptionGrammar.References(s))]);
        if (forced is not null && forced.Count != scenes.Count)
            throw new ArgumentException($"{forced.Count} teacher-forced captions for {scenes.Count} scenes.", nameof(forced));
        int exact = 0, words = 0, hits = 0, wordsAll = 0, hitsAll = 0;
        for (int i = 0; i < scenes.Count; i++)
        {
            if (forced is not null) Count(scenes[i], forced[i], config, ref wordsAll, ref hitsAll);
            var c = captions[i];
            if (CaptionParser.Parse(c.Text) is not { } m || !m.IsTrueOf(scenes[i])) continue;
            exact++;
            Count(scenes[i], c, config, ref words, ref hits);
        }
        bool attention = config.Kind == "attention";
        return new CaptionSplitScore(split, decoding, scenes.Count, bleu, scenes.Count == 0 ? double.NaN : (double)exact / scenes.Count,
            attention ? (words == 0 ? double.NaN : (double)hits / words) : null, words,
            attention && forced is not null ? (wordsAll == 0 ? double.NaN : (double)hitsAll / wordsAll) : null, wordsAll);
    }

    /// <summary>
    /// Adds the class words of <paramref name="c"/> that have a map to <paramref name="words"/>, those whose map points at
    /// their object to <paramref name="hits"/>.
    /// </summary>
    private static void Count(Scene scene, DecodedCaption c, CaptionerConfig config, ref int words, ref int hits)
    {
        if (c.Attention.Count == 0) return;
        var w = c.Text.Split(' ');
        for (int k = 0; k < w.Length && k < c.Attention.Count; k++)
        {
            int cls = ClassOf(w[k]);
            if (cls < 0) continue;
            words++;
            if (PointsAt(scene, cls, c.Attention[k], config.GridRows, config.GridCols)) hits++;
        }
    }

    /// <summary>The class a caption word names (singular or plural), or -1.</summary>
    public static int ClassOf(string word)
    {
        for (int c = 0; c < CaptionGrammar.Singular.Count; c++)
            if (word == CaptionGrammar.Singular[c] || word == CaptionGrammar.Plural[c]) return c;
        return -1;
    }

    /// <summary>
    /// True when the most-attended location of <paramref name="map"/> (a <paramref name="rows"/> x <paramref name="cols"/>
    /// grid over the canvas) has its centre in a cell of <paramref name="scene"/> holding an object of class <paramref name="cls"/>.
    /// </summary>
    public static bool PointsAt(Scene scene, int cls, ReadOnlySpan<float> map, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return scene.At(MostAttendedCell(scene, map, rows, cols)) is { } item && item.Class == cls;
    }

    /// <summary>The scene cell holding the centre of the most-attended location of <paramref name="map"/>.</summary>
    public static int MostAttendedCell(Scene scene, ReadOnlySpan<float> map, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(map);
        var (cellRow, cellCol) = CellOf(best / cols, best % cols, rows, cols, scene.GridSide);
        return cellRow * scene.GridSide + cellCol;
    }

    /// <summary>
    /// For each word of <paramref name="caption"/> that has a map: its most-attended scene cell and the attention that
    /// fell in that cell (every location whose centre lies in it, summed).
    /// </summary>
    public static IEnumerable<(int Cell, double Weight)> AttendedCells(Scene scene, DecodedCaption caption, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(caption);
        foreach (var map in caption.Attention)
        {
            if (map.Length != rows * cols)
                throw new ArgumentException($"an attention map has {map.Length} locations, the grid {rows} x {cols}.", nameof(caption));
            int cell = MostAttendedCell(scene, map, rows, cols);
            double weight = 0;
            for (int i = 0; i < map.Length; i++)
            {
                var (r, c) = CellOf(i / cols, i % cols, rows, cols, scene.GridSide);
                if (r * scene.GridSide + c == cell) weight += map[i];
            }
            yield return (cell, weight);
        }
    }

    /// <summary>The scene cell (row, column) holding the centre of grid location (<paramref name="r"/>, <paramref name="c"/>).</summary>
    public static (int Row, int Col) CellOf(int r, int c, int rows, int cols, int gridSide)
        => ((int)((r + 0.5) * gridSide / rows), (int)((c + 0.5) * gridSide / cols));
}
