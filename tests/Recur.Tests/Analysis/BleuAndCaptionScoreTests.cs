using System.Text.Json;
using Recur.Tasks.Caption;
using Recur.Data.Scenes;
using Recur.Models.Captioning;
using Xunit;

namespace Recur.Tests.Analysis;

public sealed class BleuAndCaptionScoreTests
{
    [Fact]
    public void CorpusBleuMatchesNltk()
    {
        // Fixtures/make_bleu_fixtures.py: NLTK's corpus_bleu. Where an n-gram order has no match NLTK returns ~1e-155
        // (it puts the smallest float in for the zero count); Recur returns 0; both are 0 within 1e-12. The candidates
        // have at least 4 words: for a shorter one NLTK counts one n-gram where there is none (max(1, count) per
        // sentence), Papineni et al. count none, as Recur does (checked by hand below).
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "bleu", "cases.json")));
        int cases = 0;
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var cands = c.GetProperty("candidates").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var refs = c.GetProperty("references").EnumerateArray().Select(r => (IReadOnlyList<string>)r.EnumerateArray().Select(e => e.GetString()!).ToArray()).ToArray();
            var want = c.GetProperty("bleu").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var got = Bleu.Corpus(cands, refs);
            for (int n = 0; n < 4; n++) Assert.True(Math.Abs(got.Scores[n] - want[n]) < 1e-12, $"case {cases} BLEU-{n + 1}: {got.Scores[n]} vs NLTK {want[n]}");
            cases++;
        }
        Assert.True(cases >= 5);
        var perfect = Bleu.Corpus(["a coat above a bag"], [["a coat above a bag"]]);
        Assert.Equal(1.0, perfect.Scores[3], 12);
        var shortOne = Bleu.Corpus(["a coat"], [["a coat above a bag"]]);
        Assert.Equal(Math.Exp(1 - 5.0 / 2), shortOne.BrevityPenalty, 12);
        // Two sentences, the second of 2 words: trigram precision 2/3 over the first's 3 trigrams only.
        var mixed = Bleu.Corpus(["a coat above a bag", "a coat"], [["a coat above a shirt"], ["a coat"]]);
        Assert.Equal(new[] { 6.0 / 7, 4.0 / 5, 2.0 / 3, 1.0 / 2 }, mixed.Precisions);
    }

    [Fact]
    public void AttentionOnTheObjectsCellCounts()
    {
        // 7 x 7 locations over 3 x 3 cells: location centres at 6, 18 | 30, 42, 54 | 66, 78 pixels.
        Assert.Equal((0, 0), CaptionEvaluation.CellOf(1, 1, 7, 7, 3));
        Assert.Equal((1, 2), CaptionEvaluation.CellOf(4, 5, 7, 7, 3));
        Assert.Equal((2, 1), CaptionEvaluation.CellOf(6, 2, 7, 7, 3));
        var scene = new Scene([new SceneItem(5, 4, 0), new SceneItem(6, 8, 0)]); // a coat at (1, 2), a bag at (2, 0)
        var map = new float[49];
        map[3 * 7 + 6] = 1; // row 3, col 6: cell (1, 2)
        Assert.True(CaptionEvaluation.PointsAt(scene, 4, map, 7, 7));
        Assert.False(CaptionEvaluation.PointsAt(scene, 8, map, 7, 7));
        var caption = new DecodedCaption([], "a coat to the right of a bag", [map, map, map, map, map, map, map, map], 0);
        var wrongMap = new float[49]; wrongMap[0] = 1;
        var caption2 = new DecodedCaption([], "a coat to the right of a bag", [wrongMap, wrongMap, wrongMap, wrongMap, wrongMap, wrongMap, wrongMap, wrongMap], 0);
        var config = new CaptionerConfig { Kind = "attention", Vocab = 36 };
        var s = CaptionEvaluation.Score(config, [scene, scene], [caption, caption2], "t", "greedy");
        Assert.Equal(1.0, s.ExactMatch);
        Assert.Equal(4, s.AttentionWords); // coat and bag in each caption
        Assert.Equal(0.25, s.AttentionAccuracy); // only the first caption's coat is looked at
    }

    [Fact]
    public void AttentionOnTheObjectOverAllScenesCountsWrongCaptionsTheConditionalFigureSkips()
    {
        // Two copies of one scene: a coat at cell 5 = (1, 2), a bag at cell 6 = (2, 0); 7 x 7 locations over 3 x 3 cells.
        var scene = new Scene([new SceneItem(5, 4, 0), new SceneItem(6, 8, 0)]);
        Assert.Equal("a coat above a bag", CaptionGrammar.Canonical(scene));
        var onCoat = new float[49]; onCoat[3 * 7 + 6] = 1; // location (3, 6): cell (1, 2), the coat
        var onBag = new float[49]; onBag[6 * 7 + 0] = 1;   // location (6, 0): cell (2, 0), the bag
        DecodedCaption Caption(string text, params float[][] maps) => new([], text, maps, 0);
        // Generated: scene 0 exactly right, coat and bag each looked at (2 of 2); scene 1 wrong (the bag is below), so the
        // conditional figure never reads its maps, however they point.
        DecodedCaption[] generated =
        [
            Caption("a coat above a bag", onBag, onCoat, onBag, onBag, onBag),
            Caption("a bag above a coat", onCoat, onCoat, onCoat, onCoat, onCoat),
        ];
        // Teacher-forced on the reference "a coat above a bag": scene 0 looks at the coat then the bag (2 of 2); scene 1
        // looks at the coat for both (1 of 2: its bag word misses), and counts though its generated caption is wrong.
        DecodedCaption[] forced =
        [
            Caption("a coat above a bag", onBag, onCoat, onBag, onBag, onBag),
            Caption("a coat above a bag", onCoat, onCoat, onCoat, onCoat, onCoat),
        ];
        var config = new CaptionerConfig { Kind = "attention", Vocab = 36 };
        var s = CaptionEvaluation.Score(config, [scene, scene], generated, "t", "greedy", forced);
        Assert.Equal(0.5, s.ExactMatch);
        Assert.Equal(2, s.AttentionWords);            // coat and bag of the one right caption
        Assert.Equal(1.0, s.AttentionAccuracy);       // 2 of 2
        Assert.Equal(4, s.AttentionWordsAll);         // coat and bag of both references
        Assert.Equal(0.75, s.AttentionAccuracyAll);   // 3 of 4: scene 1's bag word looks at the coat
        var without = CaptionEvaluation.Score(config, [scene, scene], generated, "t", "greedy");
        Assert.Null(without.AttentionAccuracyAll);    // no teacher-forced maps given
        Assert.Equal(1.0, without.AttentionAccuracy);
    }

    /// <summary>A captioner whose attention at each step is all on location <c>previous token mod L</c>.</summary>
    private sealed class EchoCaptioner(CaptionerConfig config) : ICaptionDecoder
    {
        public CaptionerConfig Config => config;
        public Recur.Models.Decoding.IDecoderStepper Begin(Tensor features) => new Stepper(features.Shape[0], features.Shape[1], config.Vocab);

        private sealed class Stepper(int batch, int locations, int vocab) : Recur.Models.Decoding.IDecoderStepper
        {
            private readonly float[] _attention = new float[batch * locations], _logits = new float[batch * vocab];
            public int Batch => batch;
            public ReadOnlySpan<float> Attention => _attention;
            public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
            {
                Array.Clear(_attention);
                for (int b = 0; b < batch; b++) _attention[b * locations + previous[b] % locations] = 1;
                return _logits;
            }
            public void Select(ReadOnlySpan<int> rows) { }
        }
    }

    [Fact]
    public void TeacherForcingGivesEachReferenceWordTheAttentionOfTheStepThatWritesIt()
    {
        var vocabulary = CaptionVocabulary.Grammar();
        var config = new CaptionerConfig { Kind = "attention", Vocab = vocabulary.Count };
        Scene[] scenes = [new([new SceneItem(5, 4, 0), new SceneItem(6, 8, 0)]), new([new SceneItem(0, 6, 0), new SceneItem(1, 6, 0), new SceneItem(8, 8, 0)])];
        var set = new CaptionDataset(new Tensor(2, 49, 1), scenes, vocabulary, config.MaxWords);
        var forced = CaptionEvaluation.TeacherForced(new EchoCaptioner(config), set);
        for (int i = 0; i < 2; i++)
        {
            var words = CaptionGrammar.Canonical(scenes[i]).Split(' ');
            Assert.Equal(string.Join(' ', words), forced[i].Text);
            Assert.Equal(words.Length, forced[i].Attention.Count);
            for (int k = 0; k < words.Length; k++) // word k is written by the step fed word k - 1 (<START> for the first)
                Assert.Equal((k == 0 ? CaptionVocabulary.Start : vocabulary.Id(words[k - 1])) % 49, Array.IndexOf(forced[i].Attention[k], 1f));
        }
    }

    [Fact]
    public void ExactMatchCountsCaptionsTrueOfTheirSceneNotCaptionsEqualToAReference()
    {
        var pair = new Scene([new SceneItem(5, 4, 0), new SceneItem(6, 8, 0)]); // a coat at (1, 2), a bag at (2, 0): relational
        var list = new Scene([new SceneItem(0, 6, 0), new SceneItem(1, 6, 0), new SceneItem(8, 8, 0)]); // two shirts, a bag
        (Scene Scene, string Text)[] cases =
        [
            (pair, "a coat above a bag"),              // true (the canonical caption)
            (pair, "a coat to the right of a bag"),    // true: the coat's column 2 is right of the bag's 0
            (pair, "a bag above a coat"),              // false: the bag is below
            (pair, "a coat and a bag"),                // false: a list, but the scene is captioned by a relation
            (list, "a bag and two shirts"),            // true: the groups in another order
            (list, "two shirts and a bag and a coat"), // false: no coat
            (list, "two shirt and a bag"),             // false: outside the grammar (two takes the plural)
        ];
        var config = new CaptionerConfig { Kind = "lstm", Vocab = 36 };
        var s = CaptionEvaluation.Score(config, [.. cases.Select(c => c.Scene)], [.. cases.Select(c => new DecodedCaption([], c.Text, [], 0))], "t", "greedy");
        Assert.Equal(7, s.Scenes);
        Assert.Equal(3.0 / 7, s.ExactMatch, 12); // 7 captions, 3 true -> 3/7
        Assert.Null(s.AttentionAccuracy);        // not an attention captioner
    }

    [Fact]
    public void AttendedCellsSumsTheLocationsOfTheMostAttendedCell()
    {
        var scene = new Scene([new SceneItem(5, 4, 0)]);
        var map = new float[49];
        map[3 * 7 + 6] = 0.4f; // cell (1, 2) = 5
        map[3 * 7 + 5] = 0.2f; // cell (1, 2) too
        map[0] = 0.3f;         // cell (0, 0)
        map[48] = 0.1f;        // cell (2, 2)
        var caption = new DecodedCaption([], "a coat", [map, new float[49]], 0);
        var cells = CaptionEvaluation.AttendedCells(scene, caption, 7, 7).ToArray();
        Assert.Equal(2, cells.Length);
        Assert.Equal(5, cells[0].Cell);
        Assert.Equal(0.6, cells[0].Weight, 5);
        Assert.Equal(0, cells[1].Cell); // a flat map: the first location
        Assert.Throws<ArgumentException>(() => CaptionEvaluation.AttendedCells(scene, caption, 3, 3).ToArray());
    }
}
