using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>The Plural-Forms expressions of gettext's manual ("Plural forms"), evaluated by hand for a few counts.</summary>
public sealed class PluralRuleTests
{
    [Theory]
    // French, as most catalogues write it: 0 and 1 singular
    [InlineData("nplurals=2; plural=(n > 1);", new[] { 0, 1, 2, 5 }, new[] { 0, 0, 1, 1 })]
    // English (gettext's default)
    [InlineData("nplurals=2; plural=n != 1;", new[] { 0, 1, 2 }, new[] { 1, 0, 1 })]
    // French with millions (gettext 0.22)
    [InlineData("nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;", new[] { 0, 1, 2, 1000000, 2000001 },
        new[] { 0, 0, 2, 1, 2 })]
    // Polish: the manual's example, precedence of && over || and of % over comparisons
    [InlineData("nplurals=3; plural=n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2;", new[] { 1, 2, 5, 12, 22, 25 },
        new[] { 0, 1, 2, 2, 1, 2 })]
    // a catalogue of the list writes it this way
    [InlineData("nplurals=2; plural=n<=1 ?0 : 1;", new[] { 0, 1, 2 }, new[] { 0, 0, 1 })]
    // ! and arithmetic: !(n - 1) is 1 only for n = 1
    [InlineData("nplurals=2; plural=!(n - 1) ? 0 : 1 + 0 * 7;", new[] { 1, 3 }, new[] { 0, 1 })]
    public void EvaluatesAsGettextDoes(string header, int[] counts, int[] forms)
    {
        var rule = PluralRule.Parse(header, "t.mo");
        for (int i = 0; i < counts.Length; i++) Assert.Equal(forms[i], rule.IndexOf((ulong)counts[i], "t.mo"));
    }

    [Theory]
    [InlineData("plural=(n > 1);", "it has no nplurals= or no plural=")]
    [InlineData("nplurals=x; plural=n;", "nplurals 'x' is not a whole number from 1 to 16")]
    [InlineData("nplurals=2; plural=(n > 1;", "a '(' is not closed at character 7")]
    [InlineData("nplurals=2; plural=n ? 1;", "'?' without ':' at character 6")]
    [InlineData("nplurals=2; plural=n $ 1;", "unexpected '$' at character 3")]
    public void AnUnreadableRuleIsRefused(string header, string why)
    {
        var e = Assert.Throws<MoFormatException>(() => PluralRule.Parse(header, "t.mo"));
        Assert.Equal($"t.mo: Plural-Forms '{header}' cannot be read: {why}.", e.Message);
    }

    [Fact]
    public void DivisionByZeroAFormPastNpluralsAndDeepNestingAreRefused()
    {
        Assert.Contains("divides by zero for n = 0", Assert.Throws<MoFormatException>(() => PluralRule.Parse("nplurals=2; plural=1 / n;", "t")
            .IndexOf(0, "t")).Message);
        Assert.Contains("gives form 2 for n = 2, but nplurals is 2", Assert.Throws<MoFormatException>(() => PluralRule.Parse("nplurals=2; plural=n;", "t")
            .IndexOf(2, "t")).Message);
        string deep = "nplurals=2; plural=" + new string('(', 120) + "n" + new string(')', 120) + ";";
        Assert.Contains("nested too deeply", Assert.Throws<MoFormatException>(() => PluralRule.Parse(deep, "t")).Message);
    }
}
