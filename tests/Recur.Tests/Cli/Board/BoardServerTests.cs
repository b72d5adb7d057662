using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Recur.Cli.Board;
using Xunit;

namespace Recur.Tests.Cli.Board;

/// <summary>
/// The board's server in-process on a free port: the run list and its figures, the curves, a run's page, the examples,
/// and what it refuses: paths out of the runs folder (traversal, absolute, encoded, a symbolic link out), other methods,
/// other host names, the metrics file as examples.
/// </summary>
public sealed class BoardServerTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<JsonElement> Json(BoardFixture f, string path)
    {
        using var r = await Http.GetAsync(f.Server.Url + path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    /// <summary>Sends <paramref name="target"/> as written (no client normalising its dots) and returns the status line and body.</summary>
    private static async Task<string> Raw(BoardFixture f, string target, string method = "GET", string host = "127.0.0.1")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, f.Server.Port);
        var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(s);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task ListsTheRunsWithTheirFigures()
    {
        await using var f = await BoardFixture.StartAsync();
        var d = await Json(f, "api/runs");
        var runs = d.GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal(["cap", "lm"], runs.Keys.Order());  // link-out is a symbolic link: not followed
        var lm = runs["lm"];
        Assert.Equal("char-lm", lm.GetProperty("task").GetString());
        Assert.Equal("gru", lm.GetProperty("model").GetString());
        Assert.Equal(2 * 3 + 4, lm.GetProperty("parameters").GetInt64());
        Assert.Equal(1.25, lm.GetProperty("best").GetDouble());
        Assert.Equal(20, lm.GetProperty("iterations").GetInt64());
        Assert.Equal("running", lm.GetProperty("status").GetString());  // written a moment ago
        Assert.Equal(-1, runs["cap"].GetProperty("parameters").GetInt64());  // no checkpoint
    }

    [Fact]
    public async Task CurvesFollowTheFileAndALongPollReturnsWhenALineArrives()
    {
        await using var f = await BoardFixture.StartAsync();
        var d = await Json(f, "api/metrics?runs=lm,nope");
        var lm = d.GetProperty("runs")[0];
        Assert.Equal(20, lm.GetProperty("train").GetProperty("lines").GetInt64());
        Assert.Equal(2.9, lm.GetProperty("train").GetProperty("values").GetProperty("loss")[0].GetDouble(), 12);
        Assert.Equal(1.25, lm.GetProperty("val").GetProperty("values").GetProperty("val_loss")[0].GetDouble());
        Assert.Equal("nope", d.GetProperty("missing")[0].GetString());
        long version = lm.GetProperty("version").GetInt64();

        var sameVersion = await Json(f, $"api/metrics?runs=lm&versions={version}");
        Assert.Equal(0, sameVersion.GetProperty("runs").GetArrayLength());   // nothing new: nothing sent

        var poll = Json(f, $"api/metrics?runs=lm&versions={version}&wait=20");
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        File.AppendAllText(Path.Combine(f.Runs, "lm", "metrics.jsonl"), BoardFixture.TrainLine(21, 0.5) + "{\"type\":\"tra");
        var news = await poll.WaitAsync(TimeSpan.FromSeconds(15));
        var train = news.GetProperty("runs")[0].GetProperty("train");
        Assert.Equal(21, train.GetProperty("lines").GetInt64());
        Assert.Equal(0.5, train.GetProperty("values").GetProperty("loss")[20].GetDouble());
    }

    [Fact]
    public async Task ARunsPageHasItsCommandSamplesScoresAndExamples()
    {
        await using var f = await BoardFixture.StartAsync();
        var lm = await Json(f, "api/run?run=lm");
        string command = lm.GetProperty("command").GetString()!;
        Assert.StartsWith("recur train --out ", command);
        Assert.Contains("--model gru --hidden 16", command);
        Assert.Contains("--seed 7", command);
        Assert.Equal("ROMEO: a sample", lm.GetProperty("samples")[0].GetProperty("text").GetString());
        Assert.Equal(1, lm.GetProperty("samples").GetArrayLength());  // the half-written sample is left out

        var cap = await Json(f, "api/run?run=cap");
        Assert.Equal(0.5, cap.GetProperty("scores")[0].GetProperty("json").GetProperty("scores")[0].GetProperty("bleu4").GetDouble());
        Assert.Contains(cap.GetProperty("files").EnumerateArray(), x => x.GetProperty("path").GetString() == "cap/captions.jsonl"
            && x.GetProperty("kind").GetString() == "examples");

        var all = await Json(f, "api/examples?file=cap/captions.jsonl");
        Assert.Equal(2, all.GetProperty("total").GetInt32());   // the half-written third line is skipped
        Assert.Equal(1, all.GetProperty("right").GetInt32());
        var wrong = await Json(f, "api/examples?file=cap/captions.jsonl&filter=wrong");
        Assert.Equal(1, wrong.GetProperty("matched").GetInt32());
        Assert.Equal("two bags", wrong.GetProperty("examples")[0].GetProperty("example").GetProperty("caption").GetString());
        Assert.False(wrong.GetProperty("examples")[0].GetProperty("right").GetBoolean());
    }

    [Fact]
    public async Task ServesEveryEvalsExamplesFiltered()
    {
        await using var f = await BoardFixture.StartAsync();
        EvalExampleRuns.Write(f.Runs);
        foreach (var (run, file) in new[] { ("g2p", "pronunciations.jsonl"), ("tag", "tags.jsonl"), ("vqa", "answers.jsonl"), ("dialog", "dialogs.jsonl"),
                     ("video", "clips.jsonl"), ("glimpse", "glimpses.jsonl"), ("draw", "draws.jsonl") })
        {
            var detail = await Json(f, "api/run?run=" + run);
            Assert.Contains(detail.GetProperty("files").EnumerateArray(), x => x.GetProperty("path").GetString() == $"{run}/{file}"
                && x.GetProperty("kind").GetString() == "examples");
        }
        // g2p: "cat" right with its alignment, "dog" wrong
        var g2p = await Json(f, "api/examples?file=g2p/pronunciations.jsonl");
        Assert.Equal((2, 1, 1), (g2p.GetProperty("total").GetInt32(), g2p.GetProperty("right").GetInt32(), g2p.GetProperty("wrong").GetInt32()));
        var cat = g2p.GetProperty("examples")[0].GetProperty("example");
        Assert.Equal("cat", cat.GetProperty("word").GetString());
        Assert.Equal(0.9, cat.GetProperty("alignment")[1][1].GetDouble(), 6);
        Assert.Equal(["c", "a", "t"], cat.GetProperty("source_tokens").EnumerateArray().Select(x => x.GetString()));
        var dog = await Json(f, "api/examples?file=g2p/pronunciations.jsonl&filter=wrong");
        Assert.Equal(1, dog.GetProperty("matched").GetInt32());
        Assert.Equal("D OW1", dog.GetProperty("examples")[0].GetProperty("example").GetProperty("prediction").GetString());
        Assert.Equal(1, dog.GetProperty("examples")[0].GetProperty("index").GetInt32());
        // tag: the second sentence has one wrong tag
        var tags = await Json(f, "api/examples?file=tag/tags.jsonl&filter=wrong");
        var wrongTags = tags.GetProperty("examples")[0].GetProperty("example");
        Assert.Equal(1, wrongTags.GetProperty("wrong_tags").GetInt32());
        Assert.Equal(["PRON", "NOUN"], wrongTags.GetProperty("predicted").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal([false, true], wrongTags.GetProperty("unseen").EnumerateArray().Select(x => x.GetBoolean()));
        // vqa and dialog: right and wrong as their "correct" says
        var vqa = await Json(f, "api/examples?file=vqa/answers.jsonl&filter=right");
        Assert.Equal(1, vqa.GetProperty("matched").GetInt32());
        Assert.Equal("bag", vqa.GetProperty("examples")[0].GetProperty("example").GetProperty("prediction").GetString());
        var dialog = await Json(f, "api/examples?file=dialog/dialogs.jsonl&filter=wrong");
        Assert.Equal(2, dialog.GetProperty("examples")[0].GetProperty("example").GetProperty("rounds").GetArrayLength());
        // video, glimpse, draw: the clip wrong, the canvas right, the image without a verdict; their pictures served, not listed
        var video = await Json(f, "api/examples?file=video/clips.jsonl&filter=wrong");
        Assert.Equal(4, video.GetProperty("examples")[0].GetProperty("example").GetProperty("frames").GetArrayLength());
        var glimpse = await Json(f, "api/examples?file=glimpse/glimpses.jsonl&filter=right");
        Assert.Equal(3, glimpse.GetProperty("examples")[0].GetProperty("example").GetProperty("locations").GetArrayLength());
        var draw = await Json(f, "api/examples?file=draw/draws.jsonl");
        Assert.Equal((1, 0, 0), (draw.GetProperty("total").GetInt32(), draw.GetProperty("right").GetInt32(), draw.GetProperty("wrong").GetInt32()));
        Assert.Equal(JsonValueKind.Null, draw.GetProperty("examples")[0].GetProperty("right").ValueKind);
        foreach (var (run, picture) in new[] { ("video", "clips"), ("glimpse", "glimpses"), ("draw", "draws") })
        {
            var example = (await Json(f, $"api/examples?file={run}/{picture}.jsonl")).GetProperty("examples")[0].GetProperty("example");
            using var r = await Http.GetAsync(f.Server.Url + $"files/{run}/" + example.GetProperty("picture").GetString());
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("image/png", r.Content.Headers.ContentType?.MediaType);
            var files = (await Json(f, "api/run?run=" + run)).GetProperty("files").EnumerateArray().Select(x => x.GetProperty("path").GetString());
            Assert.DoesNotContain(files, p => p!.Contains("/examples/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ServesOnlyFilesUnderTheRunsFolder()
    {
        await using var f = await BoardFixture.StartAsync();
        using (var ok = await Http.GetAsync(f.Server.Url + "files/lm/loss.png"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("image/png", ok.Content.Headers.ContentType!.MediaType);
        }
        string absolute = Uri.EscapeDataString(Path.Combine(f.Top, "secret.txt"));
        foreach (string target in new[]
                 {
                     "/files/../secret.txt", "/files/lm/../../secret.txt", "/files/%2e%2e/secret.txt", "/files/%2E%2E%2Fsecret.txt",
                     "/files/lm/..%2F..%2Fsecret.txt", "/files/" + absolute, "/files//" + f.Top.TrimStart('/') + "/secret.txt",
                     "/files/link-out/secret.txt", "/files/lm%5C..%5C..%5Csecret.txt", "/api/run?run=..", "/api/run?run=link-out",
                     "/api/examples?file=../secret.txt", "/api/examples?file=lm/metrics.jsonl", "/api/compare?dir=..",
                 })
        {
            string response = await Raw(f, target);
            Assert.DoesNotContain(BoardFixture.Secret, response);
            Assert.False(response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), $"{target}: {response[..Math.Min(200, response.Length)]}");
        }
        Assert.StartsWith("HTTP/1.1 403", await Raw(f, "/files/link-out/secret.txt"));
        Assert.StartsWith("HTTP/1.1 405", await Raw(f, "/api/runs", method: "POST"));
        Assert.StartsWith("HTTP/1.1 405", await Raw(f, "/files/lm/loss.png", method: "DELETE"));
        Assert.StartsWith("HTTP/1.1 421", await Raw(f, "/api/runs", host: "attacker.example"));
        Assert.StartsWith("HTTP/1.1 200", await Raw(f, "/api/runs", host: "localhost"));
    }

    [Fact]
    public void TheRootRefusesEveryPathOutOfIt()
    {
        string top = Directory.CreateTempSubdirectory("recur-root-").FullName;
        try
        {
            string runs = Path.Combine(top, "runs");
            Directory.CreateDirectory(Path.Combine(runs, "a"));
            File.WriteAllText(Path.Combine(runs, "a", "x.txt"), "x");
            File.WriteAllText(Path.Combine(top, "out.txt"), "out");
            File.CreateSymbolicLink(Path.Combine(runs, "in-link"), Path.Combine(runs, "a"));
            File.CreateSymbolicLink(Path.Combine(runs, "a", "out-link.txt"), Path.Combine(top, "out.txt"));
            var root = new RunsRoot(runs);
            Assert.Equal(Path.Combine(runs, "a", "x.txt"), root.File("a/x.txt"));
            Assert.Equal(Path.Combine(runs, "a", "x.txt"), root.File("in-link/x.txt"));  // a link that stays inside is followed
            foreach (string bad in new[] { "../out.txt", "a/../../out.txt", "a/./x.txt", "a//x.txt", "/etc/passwd", top + "/out.txt",
                         "a\\x.txt", "a/out-link.txt", "", "C:/x", "a/x.txt\0" })
                Assert.Null(root.File(bad));
            Assert.Null(root.Folder(".."));
        }
        finally { Directory.Delete(top, recursive: true); }
    }
}
