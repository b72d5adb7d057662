using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class DemoCommandTests
{
    [Fact]
    public void HelloPrintsLossesTheTableAndGreedyHello()
    {
        var r = CliHarness.Run("demo", "hello");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Err);
        Assert.Contains("vanilla tanh RNN (H = 8)", r.Out);
        var losses = Regex.Matches(r.Out, @"^ +(\d+) \| (\d+\.\d{4})$", RegexOptions.Multiline);
        Assert.Equal([1, 20, 40, 60, 80, 100], losses.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
        Assert.True(double.Parse(losses[^1].Groups[2].Value, CultureInfo.InvariantCulture) < double.Parse(losses[0].Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Contains(" input |      h      e      l      o | target | argmax", r.Out);
        var rows = Regex.Matches(r.Out, @"^   ([helo])   \|( +\d\.\d{3}){4} \|   ([helo])    \|   ([helo])$", RegexOptions.Multiline);
        Assert.Equal("hell", string.Concat(rows.Select(m => m.Groups[1].Value)));
        Assert.Equal("ello", string.Concat(rows.Select(m => m.Groups[3].Value)));
        Assert.Equal("ello", string.Concat(rows.Select(m => m.Groups[4].Value)));
        Assert.Contains("greedy (argmax):          hello\n", r.Out);
        Assert.Matches(@"sampled at temperature 1: (h[helo]{4} ){7}h[helo]{4}\n", r.Out);
        Assert.Contains("argmax always takes the most likely next character", r.Out);
    }

    [Fact]
    public void HelloIsDeterministicForASeed()
    {
        string[] rest = ["--temperature", "2", "--iterations", "60", "--hidden", "16", "--lr", "0.02", "--samples", "4"];
        string[] argv = ["demo", "hello", "--seed", "3", .. rest];
        var a = CliHarness.Run(argv);
        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.Equal(a.Out, CliHarness.Run(argv).Out);
        Assert.Contains("H = 16", a.Out);
        Assert.Contains("lr 0.02, 60 iterations, seed 3", a.Out);
        Assert.Matches(@"sampled at temperature 2: (h[helo]{4} ){3}h[helo]{4}\n", a.Out);
        Assert.NotEqual(a.Out, CliHarness.Run(["demo", "hello", "--seed", "4", .. rest]).Out);
    }

    [Fact]
    public void RepeatedOnesLearnPrintsBothNetworksAndTheirAccuracy()
    {
        var r = CliHarness.Run("demo", "repeated-ones", "--learn");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("hand-built (slide)", r.Out);
        foreach (string w in new[] { "W_xh", "W_hh", "W_hy" }) Assert.Contains(w, r.Out);
        Assert.Contains("W_hy  [  1.00   1.00  -1.00]    [", r.Out);
        var acc = Regex.Match(r.Out, @"hand-built (\d+\.\d\d)%, learned (\d+\.\d\d)%");
        Assert.True(acc.Success, r.Out);
        Assert.Equal("100.00", acc.Groups[1].Value);
        Assert.True(double.Parse(acc.Groups[2].Value, CultureInfo.InvariantCulture) >= 99.0, r.Out);
        Assert.Contains("differ from the slide's", r.Out);
        Assert.Contains("hand-built: 0,0,0,0,1,1,0,0,1\n", r.Out);
        Assert.Matches(@"learned:    [01](,[01]){8} ", r.Out);
    }

    [Fact]
    public void RepeatedOnesStillPrintsTheSlidesTable()
    {
        var r = CliHarness.Run("demo", "repeated-ones", "--input", "1,1,0");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("W_hh = [[0, 0, 0], [1, 0, 0], [0, 0, 1]]", r.Out);
        Assert.Contains("output: 0,1,0", r.Out);
    }

    [Theory]
    [InlineData("--hidden", "0")]
    [InlineData("--iterations", "0")]
    [InlineData("--lr", "0")]
    [InlineData("--lr", "-0.5")]
    [InlineData("--temperature", "0")]
    [InlineData("--temperature", "hot")]
    [InlineData("--seed", "-1")]
    [InlineData("--samples", "-1")]
    public void HelloRejectsBadOptions(string option, string value)
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "hello", option, value), "demo", option);
    }

    [Fact]
    public void HelpDescribesBothDemos()
    {
        var r = CliHarness.Run("demo", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("recur demo hello [--hidden 8]", r.Out);
        Assert.Contains("recur demo repeated-ones --learn", r.Out);
        Assert.Contains("--temperature X", r.Out);
    }

    [Fact]
    public void DemoNamesAndOptionsAreChecked()
    {
        CliHarness.AssertCleanFailure(CliHarness.Run("demo"), "demo", "hello", "repeated-ones");
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "goodbye"), "demo", "goodbye");
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "hello", "--learn"), "demo", "--learn");
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "repeated-ones", "--seed", "2"), "demo", "--learn");
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "repeated-ones", "--learn", "--lr", "0"), "demo", "--lr");
        CliHarness.AssertCleanFailure(CliHarness.Run("demo", "repeated-ones", "--learn", "--input", "1,2"), "demo", "--input");
    }
}
