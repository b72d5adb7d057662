using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>Byte-pair merges learned on a corpus worked through by hand, applied to words, and their round trip.</summary>
public sealed class BpeMergesTests
{
    /// <summary>Sennrich et al.'s example corpus: low x5, lower x2, newest x6, widest x3.</summary>
    private static readonly Dictionary<string, long> Corpus = new() { ["low"] = 5, ["lower"] = 2, ["newest"] = 6, ["widest"] = 3 };

    /// <summary>
    /// The merges, worked by hand. Pair counts at the start: e s 9, s t 9, w e 8 (lower 2 + newest 6), l o 7, o w 7, n e 6,
    /// e w 6, w i 3, i d 3, d e 3, e r 2.
    ///  1. e s (9; ties with s t 9, "e" &lt; "s")                    newest = n e w es t, widest = w i d es t
    ///  2. es t (9)                                                   n e w est, w i d est
    ///  3. l o (7; ties with o w 7, "l" &lt; "o")                    lo w, lo w e r
    ///  4. lo w (7)                                                   low, low e r
    ///  5. e w (6; ties with n e 6 and w est 6: "e" &lt; "n" &lt; "w")   n ew est
    ///  6. ew est (6; ties with n ew 6, "ew" &lt; "n")               n ewest
    ///  7. n ewest (6)                                                newest
    ///  8. d est (3; ties with w i 3 and i d 3: "d" &lt; "i" &lt; "w")  w i dest
    ///  9. i dest (3; ties with w i 3)                                w idest
    /// 10. w idest (3)                                                widest
    /// 11. e r (2; ties with low e 2, "e" &lt; "low")                 low er
    /// 12. low er (2)                                                 lower
    /// Then every word is one symbol and no pair is left.
    /// </summary>
    private static readonly (string, string)[] HandWorked =
    [
        ("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est"), ("n", "ewest"), ("d", "est"), ("i", "dest"), ("w", "idest"),
        ("e", "r"), ("low", "er"),
    ];

    [Fact]
    public void LearnsTheHandWorkedMergesAndStopsWhenNoPairIsLeft()
    {
        Assert.Equal(HandWorked, BpeMerges.Learn(Corpus, 100).Merges);
        Assert.Equal(HandWorked[..4], BpeMerges.Learn(Corpus, 4).Merges);
        Assert.Equal(HandWorked[..10], BpeMerges.Learn(Corpus, 100, minCount: 3).Merges); // e r occurs twice only
    }

    [Fact]
    public void SegmentsByRankAndKeepsUnknownCharacters()
    {
        var four = new BpeMerges(HandWorked[..4]);
        // lowest: l o w e s t -> (e s) l o w es t -> (es t) l o w est -> (l o) lo w est -> (lo w) low est
        Assert.Equal(["low", "est"], four.Segment("lowest"));
        var all = new BpeMerges(HandWorked);
        // lowerest: (e s), (es t), (l o), (lo w), then (e r) and (low er): lower est
        Assert.Equal(["lower", "est"], all.Segment("lowerest"));
        Assert.Equal(["x", "\ud83d\ude00", "y"], all.Segment("x\ud83d\ude00y")); // characters it never saw stay, whole
        Assert.Empty(new BpeMerges([]).Segment(""));
    }

    [Fact]
    public void SegmentsJoinBackToTheWord()
    {
        var words = new Dictionary<string, long>();
        var rng = new Rng(3);
        for (int i = 0; i < 300; i++)
        {
            var chars = new char[1 + rng.NextInt(9)];
            for (int k = 0; k < chars.Length; k++) chars[k] = "▁abcdeé"[rng.NextInt(7)];
            string w = new(chars);
            words[w] = words.GetValueOrDefault(w) + 1 + rng.NextInt(5);
        }
        var bpe = BpeMerges.Learn(words, 60);
        Assert.Equal(60, bpe.Merges.Count);
        Assert.Equal(bpe.Merges, BpeMerges.Learn(words.Reverse().ToDictionary(), 60).Merges); // the order words come in does not matter
        foreach (var w in words.Keys) Assert.Equal(w, string.Concat(bpe.Segment(w)));
        Assert.True(words.Keys.Average(w => bpe.Segment(w).Count) < words.Keys.Average(w => w.Length));
    }
}
