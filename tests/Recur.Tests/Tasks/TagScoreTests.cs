using Recur.Data.Language;
using Recur.Tasks.Tag;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>The tagger's scores (TagScore.FromPredictions, MostFrequentTag) against answers worked by hand.</summary>
public sealed class TagScoreTests
{
    private static TaggedSentence S(string words, string tags) => new(words.Split(' '), tags.Split(' '));

    [Fact]
    public void MostFrequentTagBreaksTiesByNameAndFallsBackOnTheCommonestTag()
    {
        TaggedSentence[] train =
        [
            S("The dog runs", "DT NN VBZ"),
            S("dogs run", "NNS VB"), // run is seen as VB first: a tie kept in the order seen would pick VB
            S("the run", "DT NN"),
            S("a dog", "DT NN"),
            S("cat sat", "NN VBD"),
        ];
        // Learnt (words lower-cased): the DT (2), dog NN (2), runs VBZ, dogs NNS, a DT, cat NN, sat VBD;
        // run is NN once and VB once: the tie goes to the name first in ordinal order, NN.
        // Overall: NN 4 (dog 2, run, cat), DT 3, the rest 1 each -> an unseen word gets NN.
        TaggedSentence[] test =
        [
            S("The run runs", "DT NN VBZ"),              // DT, NN (the tie), VBZ: 3 right
            S("A cat jumps", "DT NN VBZ"),               // DT (a, lower-cased), NN, jumps unseen -> NN: 2 right
            S("Dogs dog quickly rover", "NNS VB RB NN"), // NNS, dog -> NN (wrong), quickly unseen -> NN (wrong), rover unseen -> NN: 2 right
        ];
        var (accuracy, unseen) = MostFrequentTag.Score(train, test, t => t);
        Assert.Equal(7.0 / 10, accuracy, 12); // 10 words, 3 + 2 + 2 = 7 right -> 0.7
        Assert.Equal(1.0 / 3, unseen, 12);    // 3 unseen (jumps, quickly, rover), rover right -> 1/3
    }

    [Fact]
    public void TiesGoToTheOrdinalFirstNameNotTheTagSeenFirst()
    {
        // run is VB once then NN once, and so is the whole training set: both ties go to NN (ordinal before VB), not
        // to VB, the tag seen first. run -> NN right; fly unseen -> the fallback NN, right: 2 words, 2 right; 1 unseen, right.
        TaggedSentence[] train = [S("run", "VB"), S("run", "NN")];
        var (accuracy, unseen) = MostFrequentTag.Score(train, [S("run fly", "NN NN")], t => t);
        Assert.Equal(1.0, accuracy, 12);
        Assert.Equal(1.0, unseen, 12);
    }

    [Fact]
    public void MostFrequentTagComparesMappedTags()
    {
        // Mapped VBZ -> VB and VBD -> VB: runs and sat are both VB, and VB (2) beats NN (1) overall, so the unseen
        // "jumps" (gold VBZ -> VB) is right: 2 words, 2 right; 1 unseen, right.
        TaggedSentence[] train = [S("runs sat dog", "VBZ VBD NN")];
        var (accuracy, unseen) = MostFrequentTag.Score(train, [S("runs jumps", "VB VBZ")], t => t.StartsWith("VB", StringComparison.Ordinal) ? "VB" : t);
        Assert.Equal(1.0, accuracy, 12);
        Assert.Equal(1.0, unseen, 12);
    }

    [Fact]
    public void TagScoreCountsAccuracyUnseenAccuracyAndConfusion()
    {
        // Six tokens; "Loudly" is seen only once lower-cased; barks, cat and Fido are unseen.
        string[] words = ["The", "dog", "barks", "Loudly", "cat", "Fido"];
        int[] gold = [0, 1, 2, 2, 1, 1];
        int[] pred = [0, 1, 1, 2, 0, 1]; // right, right, wrong, right, wrong, right
        var seen = new HashSet<string>(StringComparer.Ordinal) { "the", "dog", "loudly" };
        var s = TagScore.FromPredictions(3.0, gold, pred, words, seen, 3);
        Assert.Equal(6, s.Tokens);
        Assert.Equal(4.0 / 6, s.Accuracy, 12);       // 6 tokens, 4 right
        Assert.Equal(3, s.Unseen);                   // barks, cat, Fido
        Assert.Equal(1.0 / 3, s.UnseenAccuracy, 12); // Fido right, barks and cat wrong -> 1/3
        Assert.Equal(0.5, s.Loss, 12);               // 3 nats over 6 tokens
        // Confusion[gold, predicted] (not symmetric, so its orientation shows): 0->0 The; 1->0 cat; 1->1 dog, Fido; 2->1 barks; 2->2 Loudly.
        Assert.Equal(new long[,] { { 1, 0, 0 }, { 1, 2, 0 }, { 0, 1, 1 } }, s.Confusion);
    }

    [Fact]
    public void TagScoreWithEveryWordSeenHasNoUnseenAccuracy()
    {
        var s = TagScore.FromPredictions(0, [0], [0], ["A"], new HashSet<string> { "a" }, 1);
        Assert.Equal(0, s.Unseen);
        Assert.True(double.IsNaN(s.UnseenAccuracy));
        Assert.Equal(1.0, s.Accuracy);
    }
}
