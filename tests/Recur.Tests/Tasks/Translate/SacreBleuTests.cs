using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>
/// BLEU against the values sacreBLEU itself publishes in its tests (github.com/mjpost/sacrebleu, <c>test/test_bleu.py</c> at
/// commit 785d26bb42ff5cc738c8aa06efb288cf407fc4fd; the values were produced by sacreBLEU), the 13a tokenizer, and a
/// score worked by hand.
/// </summary>
public sealed class SacreBleuTests
{
    private const double Epsilon = 1e-8; // test_bleu.py's EPSILON

    // test_bleu.py's README example: three hypotheses, two reference streams
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];

    private static readonly IReadOnlyList<string>[] Refs =
    [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected.", "No one was surprised."],
        ["The man bit him first.", "The man had bitten the dog."],
    ];

    [Theory]
    [InlineData("13a", "exp", 48.530827)]   // test_corpus_bleu_cases: default settings, and tokenize '13a'
    [InlineData("none", "exp", 49.1919566)] // tokenize 'none'
    [InlineData("13a", "none", 48.530827)]  // smooth_method 'none'
    public void CorpusBleuMatchesSacreBleusOwnTests(string tokenize, string smooth, double expected)
        => Assert.Equal(expected, SacreBleu.Corpus(Hyps, Refs, tokenize, smooth).Score, Epsilon);

    [Theory]
    [InlineData(1, "77.65")] // test_bleu_max_order
    [InlineData(2, "60.50")]
    [InlineData(3, "53.93")]
    [InlineData(4, "48.53")]
    [InlineData(5, "46.14")]
    [InlineData(6, "43.28")]
    public void OtherOrdersMatchSacreBleusOwnTests(int order, string expected)
        => Assert.Equal(expected, SacreBleu.Corpus(Hyps, Refs, maxOrder: order).Score.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void EmptyHypothesesScoreZero() => Assert.Equal(0.0, SacreBleu.Corpus(["", "", ""], Refs).Score); // test_corpus_bleu_cases

    /// <summary>sacreBLEU's <c>raw_corpus_bleu(hyps, [refs], .01)</c>: floor smoothing 0.01, no tokenization, effective order.</summary>
    private static double Raw(string[] hyps, string[] refs, double floor = 0.01)
        => SacreBleu.Corpus(hyps, [.. refs.Select(r => (IReadOnlyList<string>)[r])], "none", "floor", floor, effectiveOrder: true).Score / 100;

    [Theory]
    [InlineData(new[] { "this is a test", "another test" }, new[] { "ref1", "ref2" }, 0.0)] // test_raw_bleu_cases: no match scores 0 (#141)
    [InlineData(new[] { "this is a test" }, new[] { "this is a test" }, 1.0)]
    [InlineData(new[] { "this is a fest" }, new[] { "this is a test" }, 0.223606797749979)]
    [InlineData(new[] { "test" }, new[] { "a test" }, 0.3678794411714425)]                                  // test_case_effective_order
    [InlineData(new[] { "a test" }, new[] { "a test" }, 1.0)]
    [InlineData(new[] { "a little test" }, new[] { "a test" }, 0.03218297948685433)]
    public void RawBleuMatchesSacreBleusOwnTests(string[] hyps, string[] refs, double expected) => Assert.Equal(expected, Raw(hyps, refs), Epsilon);

    [Fact]
    public void StatisticsAndTheFloorMatchSacreBleusOwnTests()
    {
        // test_case_statistics and test_case_offset (one segment each)
        var s = SacreBleu.Corpus(["am I am a character sequence"], [["I am a symbol string sequence a a"]], "none", "floor", 0.01, effectiveOrder: true);
        Assert.Equal([4L, 2, 1, 0], s.Counts);
        Assert.Equal([6L, 5, 4, 3], s.Totals);
        Assert.Equal(0.0, Raw(["am I am a character sequence"], ["I am a symbol string sequence a a"], 0.0), Epsilon);
        Assert.Equal(0.1555722182, Raw(["am I am a character sequence"], ["I am a symbol string sequence a a"], 0.1), Epsilon);
        // test_case_scoring: compute_bleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11) with its default smoothing 'none'
        Assert.Equal(0.8375922397, SacreBleu.Compute([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, "none").Score / 100, Epsilon);
        // test_case_degenerate_stats: no match scores 0 whatever the floor
        foreach (var (correct, total, sys, refLength, floor) in new (long[], long[], long, long, double)[]
        {
            ([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0), ([0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0), ([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0),
            ([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0), ([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1), ([0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01),
        })
            Assert.Equal(0.0, SacreBleu.Compute(correct, total, sys, refLength, "floor", floor).Score);
    }

    [Fact]
    public void AScoreWorkedByHand()
    {
        // hypothesis "the cat sat on the mat", reference "the cat is on the mat" (13a leaves both as they are):
        // 1-grams 5/6 (the x2, cat, on, mat), 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the mat), 4-grams 0/3;
        // exp smoothing gives the first order without a match 100 / (2 * 3); lengths 6 and 6, so BP = 1:
        // BLEU = (83.33 * 60 * 25 * 16.67)^(1/4) = (12,500,000 / 6)^(1/4)
        var s = SacreBleu.Corpus(["the cat sat on the mat"], [["the cat is on the mat"]]);
        Assert.Equal([5L, 3, 1, 0], s.Counts);
        Assert.Equal([6L, 5, 4, 3], s.Totals);
        Assert.Equal(Math.Pow(12_500_000.0 / 6, 0.25), s.Score, 1e-9);
        Assert.Equal(1.0, s.BrevityPenalty);
        // a hypothesis of 3 tokens against 6: BP = exp(1 - 6/3) = e^-1, and nothing beyond 1-grams matches twice
        var shortOne = SacreBleu.Corpus(["the cat on"], [["the cat is on the mat"]]);
        Assert.Equal(Math.Exp(-1), shortOne.BrevityPenalty, 1e-12);
    }

    [Theory]
    [InlineData("Hello, world! It costs $3.50 (really).", "Hello , world ! It costs $ 3.50 ( really ) .")]
    [InlineData("1,000-2 l'homme &quot;x&quot; a&amp;b", "1,000 - 2 l'homme \" x \" a & b")]
    [InlineData("end of line-\nnext\nline <skipped>", "end of linenext line")]
    [InlineData("Ouvrir « %s » : 100 %", "Ouvrir « % s » : 100 %")]
    public void Tokenizes13aAsMtevalDoes(string line, string tokens) => Assert.Equal(tokens, SacreBleu.Tokenize13a(line));
}
