using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Recur.Tests.Cli;

[Collection("Console")]
public sealed class GalleryCommandTests
{
    private static string Samples => Path.Combine(AppContext.BaseDirectory, "Data", "Samples", "gallery");

    [Fact]
    public void ATinyGalleryOnTheCommittedSamplesWritesItsPage()
    {
        string dir = Path.Combine(Path.GetTempPath(), "recur-gallery-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var clock = Stopwatch.StartNew();
            string[] argv =
            [
                "gallery", "--corpora", $"shakespeare,linux-c={Path.Combine(Samples, "linux-c.txt")},latex={Path.Combine(Samples, "latex.txt")}",
                "--iterations", "5,10", "--out", dir, "--hidden", "16", "--layers", "1", "--batch-size", "4", "--seq-length", "16",
                "--threads", "1", "--max-chars", "2000", "--sample-length", "120",
            ];
            var r = CliHarness.Run(argv);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.True(clock.Elapsed.TotalSeconds < 60, $"the tiny gallery took {clock.Elapsed.TotalSeconds:F0} s");
            string page = File.ReadAllText(Path.Combine(dir, "gallery.html"));
            foreach (var name in new[] { "shakespeare", "linux-c", "latex" })
            {
                Assert.Contains($"<section class=\"corpus\" id=\"corpus-{name}\">", page, StringComparison.Ordinal);
                Assert.True(File.Exists(Path.Combine(dir, name, "cells.json")), $"{name} has no cells.json");
                Assert.Equal(["iter-0000005.json", "iter-0000010.json"],
                    Directory.GetFiles(Path.Combine(dir, name, "samples")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            }
            Assert.Equal(6, Regex.Matches(page, "<div class=\"sample\"><h4>iteration (5|10) ").Count);
            foreach (var feature in new[] { "speaker_name", "in_quote", "in_if_statement", "code_depth", "in_math", "environment_depth", "line_position" })
                Assert.Contains($"<td>{feature}</td>", page, StringComparison.Ordinal);
            Assert.Matches(@"  in_if_statement +(layer 1 [hcifgo]\[\d+\]|-) +r = ", r.Out);
            Assert.Contains($"wrote {Path.Combine(dir, "gallery.html")}", r.Out, StringComparison.Ordinal);

            // The same command again finds every corpus done and leaves the samples as they were.
            string before = File.ReadAllText(Path.Combine(dir, "latex", "samples", "iter-0000010.json"));
            var again = CliHarness.Run(argv);
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Equal(3, Regex.Matches(again.Out, ": done already").Count);
            Assert.Equal(before, File.ReadAllText(Path.Combine(dir, "latex", "samples", "iter-0000010.json")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("unknown gallery corpus 'python'", "--corpora", "python")]
    [InlineData("give --iterations instead", "--max-iters", "5")]
    [InlineData("ascending order", "--iterations", "10,5")]
    [InlineData("choose a cell", "--model", "mamba")]
    [InlineData("scripts/gallery-corpora.sh", "--corpora", "shakespeare,latex", "--data", "/nonexistent-recur-gallery")]
    public void BadRequestsFailWithOneLine(string fragment, params string[] rest)
    {
        string dir = Path.Combine(Path.GetTempPath(), "recur-gallery-bad-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = CliHarness.Run(["gallery", "--out", dir, .. rest]);
            CliHarness.AssertCleanFailure(r, "gallery", fragment);
            Assert.False(Directory.Exists(Path.Combine(dir, "shakespeare", "run")), "it trained before finding the request wrong");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
