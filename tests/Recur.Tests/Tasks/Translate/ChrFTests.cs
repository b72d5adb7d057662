using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>
/// chrF against the values sacreBLEU itself publishes in its tests (github.com/mjpost/sacrebleu, <c>test/test_chrf.py</c> at
/// commit 0dca9d481824294b6e2b67b5bc6d7b6564a2553a), and scores worked by hand with the defaults the translation task uses.
/// </summary>
public sealed class ChrFTests
{
    private const double Epsilon = 1e-4; // test_chrf.py's EPSILON

    private static double Corpus(ChrF metric, string[] hyps, string[] refs)
        => metric.Corpus(hyps, [.. refs.Select(r => (IReadOnlyList<string>)[r])]);

    [Theory] // test_cases: corpus_chrf(..., char_order=6, word_order=0, beta=3, eps_smoothing=True)
    [InlineData(new[] { "abcdefg" }, new[] { "hijklmnop" }, 0.0)]
    [InlineData(new[] { "a" }, new[] { "b" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "b" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "ref" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 8.3333)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 8.3333)]
    [InlineData(new[] { "a" }, new[] { "a" }, 16.6667)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 50.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 50.0)]
    [InlineData(new[] { " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ." },
        new[] { "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ." }, 63.361730)]
    [InlineData(new[] { " Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. " },
        new[] { "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich." }, 64.1302698)]
    [InlineData(new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, 100.0)]
    public void EpsSmoothingMatchesSacreBleusOwnTests(string[] hyps, string[] refs, double expected)
        => Assert.Equal(expected, Corpus(new ChrF(beta: 3, epsSmoothing: true), hyps, refs), Epsilon);

    [Theory] // test_cases_effective_order: eps_smoothing=False (sacreBLEU's default), beta=3
    [InlineData(new[] { "a" }, new[] { "a" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 100.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "c" }, 0.0)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 25.0)]
    public void EffectiveOrderMatchesSacreBleusOwnTests(string[] hyps, string[] refs, double expected)
        => Assert.Equal(expected, Corpus(new ChrF(beta: 3), hyps, refs), Epsilon);

    [Theory] // test_cases_keep_whitespace: remove_whitespace=False, beta=3
    [InlineData("Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 67.3481606)]
    [InlineData("risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 65.2414427)]
    public void KeepingWhitespaceMatchesSacreBleusOwnTests(string hyp, string reference, double expected)
        => Assert.Equal(expected, Corpus(new ChrF(beta: 3, whitespace: true), [hyp], [reference]), Epsilon);

    [Theory] // test_sentence_level_chrf: sentence_chrf(hyp, refs, eps_smoothing=True) with the default beta 2
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
        "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
        "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
        "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void SentenceLevelMatchesSacreBleusOwnTests(string hyp, string reference, double expected)
        => Assert.Equal(expected, Corpus(new ChrF(epsSmoothing: true), [hyp], [reference]), Epsilon);

    [Fact]
    public void ScoresWorkedByHandWithTheDefaults()
    {
        // "abc" against "abd": 1-grams 2 of 3 both ways, 2-grams 1 of 2 (ab), 3-grams 0 of 1; orders 4 to 6 have no n-grams
        // and are left out. P = R = (2/3 + 1/2 + 0) / 3 = 7/18, and F_2 = 5PR / (4P + R) = P = 7/18.
        Assert.Equal(100.0 * 7 / 18, Corpus(ChrF.Default, ["abc"], ["abd"]), 1e-10);
        // whitespace is taken out: "a b" is "ab"; a perfect match scores 100
        Assert.Equal(100.0, Corpus(ChrF.Default, ["a b"], ["ab"]), 1e-12);
        // "ab" against "abcd": 1-grams P 2/2, R 2/4; 2-grams P 1/1, R 1/3; P = 1, R = (1/2 + 1/3) / 2 = 5/12;
        // F_2 = 5 (5/12) / (4 + 5/12) = (25/12) / (53/12) = 25/53
        Assert.Equal(100.0 * 25 / 53, Corpus(ChrF.Default, ["ab"], ["abcd"]), 1e-10);
        // of two references, the segment keeps the statistics of the better one
        Assert.Equal(100.0, ChrF.Default.Corpus(["abc"], [["xyz", "abc"]]), 1e-12);
    }
}
