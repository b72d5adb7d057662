using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Recur.Analysis;
using Xunit;
using Xunit.Abstractions;

namespace Recur.Tests.Analysis;

/// <summary>
/// A fact that needs headless Chromium (Debian: <c>apt-get install -y chromium</c>); skipped, with that
/// reason shown by the test runner, where no Chromium binary is found.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null)
            Skip = "Chromium is not installed (Debian/Ubuntu: sudo apt-get install -y chromium, or set RECUR_CHROMIUM to a Chromium binary); "
                + "the browser tests of the cells and attention pages need it.";
    }
}

/// <summary>Finds and runs a headless Chromium.</summary>
internal static class Chromium
{
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("RECUR_CHROMIUM");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string p = System.IO.Path.Combine(dir, name);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    /// <summary>Runs Chromium headless on <paramref name="url"/> with <paramref name="extra"/> arguments; returns stdout.</summary>
    public static string Run(string url, string profileDir, params string[] extra) => RunCore(url, profileDir, extra).Stdout;

    /// <summary>
    /// As <see cref="Run"/>, with the browser's log on stderr: returns stdout and every line the page wrote to its console
    /// (<c>console.log</c>, <c>console.error</c>, uncaught errors), which Chromium logs as <c>CONSOLE</c>.
    /// </summary>
    public static (string Stdout, IReadOnlyList<string> Console) RunWithConsole(string url, string profileDir, params string[] extra)
    {
        var (stdout, stderr) = RunCore(url, profileDir, ["--enable-logging=stderr", "--v=0", .. extra]);
        return (stdout, [.. stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal))]);
    }

    private static (string Stdout, string Stderr) RunCore(string url, string profileDir, string[] extra)
    {
        var psi = new ProcessStartInfo(Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                     "--hide-scrollbars", $"--user-data-dir={profileDir}" })
            psi.ArgumentList.Add(a);
        foreach (var a in extra) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(url);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 120 s");
        }
        Assert.True(p.ExitCode == 0, $"chromium exited with {p.ExitCode}: {stderr.Result}");
        return (stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Pixels of an RGB screenshot <paramref name="rgb"/> (3 bytes a pixel) whose red is above <paramref name="minRed"/>
    /// and whose green and blue are both below <paramref name="maxGreenBlue"/>: how much of a page's red reached the screen.
    /// </summary>
    public static long RedPixels(ReadOnlySpan<byte> rgb, int minRed, int maxGreenBlue)
    {
        long red = 0;
        for (int i = 0; i + 2 < rgb.Length; i += 3)
            if (rgb[i] > minRed && rgb[i + 1] < maxGreenBlue && rgb[i + 2] < maxGreenBlue) red++;
        return red;
    }
}

public sealed class CellsBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public void PageRendersInHeadlessChromium()
    {
        // A tiny model trained for a moment, analysed, and its report opened in a real browser.
        string text = CellsFixture.Text(200, 11);
        var (model, _, tokens) = CellsFixture.Trained(text, iterations: 60);
        var a = Cells.Analyze(model, tokens, CellsFixture.Runes(text), new CellsOptions { Streams = 4 });
        var pngs = Cells.SaturationPlots(a);
        string html = CellsReport.Build(a, new CellsReportOptions { Title = "browser test", MaxChars = 3000 }, pngs);
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "recur-cells-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = System.IO.Path.Combine(dir, "cells.html");
            File.WriteAllText(page, html, Encoding.UTF8);
            string url = new Uri(page).AbsoluteUri;

            string dom = Chromium.Run(url, System.IO.Path.Combine(dir, "profile1"), "--dump-dom");
            output.WriteLine($"DOM after scripts: {dom.Length} characters");
            Assert.Contains("data-ready=\"1\"", dom, StringComparison.Ordinal); // the script ran to its end
            int shown = 3000;
            int spans = Regex.Matches(dom, "<span class=\"ch\" data-i=\"\\d+\" style=\"background-color: rgba\\(").Count;
            Assert.True(spans >= shown, $"coloured character spans: {spans}, expected at least {shown}");
            var tbody = Regex.Match(dom, "<table id=\"features\">.*?<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
            Assert.Equal(CellsFeatures.Names.Count, Regex.Matches(tbody, "<tr>").Count);
            Assert.True(Regex.Matches(dom, "class=\"panel\"").Count > 0, "no top-cell panels were rendered");
            Assert.Equal(2, Regex.Matches(dom, "<img alt=\"gate saturation").Count);
            Assert.Matches("<span id=\"cell-stats\">layer \\d+ [a-z]\\[\\d+\\]: r with ", dom);

            string shot = System.IO.Path.Combine(dir, "shot.png");
            Chromium.Run(url, System.IO.Path.Combine(dir, "profile2"), $"--screenshot={shot}", "--window-size=1200,900");
            Assert.True(File.Exists(shot), "no screenshot was written");
            var (w, h, rgb) = DecodePng(File.ReadAllBytes(shot));
            Assert.Equal(1200, w);
            Assert.Equal(900, h);
            // Not blank: many distinct colours (coloured text backgrounds) and a good share of non-white pixels.
            var colours = new HashSet<int>();
            long nonWhite = 0;
            for (int i = 0; i < w * h; i++)
            {
                int r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
                colours.Add((r << 16) | (g << 8) | b);
                if (r < 240 || g < 240 || b < 240) nonWhite++;
            }
            output.WriteLine($"screenshot {w}x{h}: {colours.Count} colours, {100.0 * nonWhite / (w * h):F1}% non-white");
            Assert.True(colours.Count > 100, $"only {colours.Count} distinct colours: the page looks blank");
            Assert.True(nonWhite > w * h / 50, $"only {nonWhite} non-white pixels: the page looks blank");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) to RGB.</summary>
    private static (int W, int H, byte[] Rgb) DecodePng(byte[] png)
    {
        Assert.Equal(0x89, png[0]);
        Assert.Equal("PNG", Encoding.ASCII.GetString(png, 1, 3));
        int pos = 8, w = 0, h = 0, type = 0;
        using var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            string t = Encoding.ASCII.GetString(png, pos + 4, 4);
            var body = png.AsSpan(pos + 8, len);
            if (t == "IHDR")
            {
                w = (int)BinaryPrimitives.ReadUInt32BigEndian(body); h = (int)BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                Assert.Equal(8, body[8]);
                type = body[9];
                Assert.True(type is 2 or 6, $"PNG colour type {type}");
                Assert.Equal(0, body[12]);
            }
            else if (t == "IDAT") idat.Write(body);
            else if (t == "IEND") break;
            pos += 12 + len;
        }
        int bpp = type == 6 ? 4 : 3, stride = w * bpp;
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        z.CopyTo(ms);
        var raw = ms.ToArray();
        Assert.Equal(h * (stride + 1), raw.Length);
        var img = new byte[h * stride];
        for (int y = 0; y < h; y++)
        {
            int f = raw[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? img[y * stride + i - bpp] : 0;
                int b = y > 0 ? img[(y - 1) * stride + i] : 0;
                int c = i >= bpp && y > 0 ? img[(y - 1) * stride + i - bpp] : 0;
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                int pred = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, 4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c, _ => throw new InvalidDataException($"filter {f}") };
                img[y * stride + i] = (byte)(raw[y * (stride + 1) + 1 + i] + pred);
            }
        }
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) { rgb[3 * i] = img[i * bpp]; rgb[3 * i + 1] = img[i * bpp + 1]; rgb[3 * i + 2] = img[i * bpp + 2]; }
        return (w, h, rgb);
    }
}
