using System.Net;
using System.Text;
using Recur.Cli.Board;

namespace Recur.Tests.Cli.Board;

/// <summary>
/// A runs folder for the board's tests, in a temporary folder beside a secret file that must never be served: a finished
/// char LM run (metrics, a config.json, a safetensors header with 2*3 + 4 weights, samples.jsonl, loss.png), a captioning
/// run with captions.jsonl (one right, one wrong, with attention), and a symbolic link that points out of the folder.
/// </summary>
internal sealed class BoardFixture : IAsyncDisposable
{
    public const string Secret = "the secret outside the runs folder";

    private BoardFixture(string top, BoardServer server)
    {
        Top = top;
        Server = server;
    }

    /// <summary>The temporary folder holding <see cref="Runs"/> and the secret.</summary>
    public string Top { get; }

    /// <summary>The runs folder served.</summary>
    public string Runs => Path.Combine(Top, "runs");

    /// <summary>The server, on a free port of 127.0.0.1.</summary>
    public BoardServer Server { get; }

    public static async Task<BoardFixture> StartAsync()
    {
        string top = Directory.CreateTempSubdirectory("recur-board-").FullName;
        string runs = Path.Combine(top, "runs");
        File.WriteAllText(Path.Combine(top, "secret.txt"), Secret);
        WriteCharRun(Path.Combine(runs, "lm"));
        WriteCaptionRun(Path.Combine(runs, "cap"));
        try { File.CreateSymbolicLink(Path.Combine(runs, "link-out"), top); } catch (IOException) { }
        var server = await BoardServer.StartAsync(runs, IPAddress.Loopback, 0);
        return new BoardFixture(top, server);
    }

    public static string TrainLine(long iter, double loss) =>
        $"{{\"type\":\"train\",\"iter\":{iter},\"epoch\":0.1,\"loss\":{loss},\"lr\":0.002,\"grad_norm\":1,\"tokens_per_s\":100,\"elapsed_s\":{iter * 0.1}}}\n";

    public static string ValLine(long iter, double loss, bool best) =>
        $"{{\"type\":\"val\",\"iter\":{iter},\"epoch\":0.1,\"val_loss\":{loss},\"val_bpc\":{loss / Math.Log(2)},\"train_loss\":{loss},"
        + $"\"best\":{(best ? "true" : "false")},\"best_by\":\"loss\",\"eval_s\":0.1,\"elapsed_s\":{iter * 0.1}}}\n";

    private static void WriteCharRun(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "latest"));
        var metrics = new StringBuilder();
        for (int i = 1; i <= 20; i++) metrics.Append(TrainLine(i, 3.0 - 0.1 * i));
        metrics.Append(ValLine(20, 1.25, best: true));
        File.WriteAllText(Path.Combine(dir, "metrics.jsonl"), metrics.ToString());
        File.WriteAllText(Path.Combine(dir, "latest", "config.json"), """
            {"format":"recur-char-model","version":1,"task":"char-lm","model":{"cell":"gru","hidden":16},
             "training":{"model":"gru","hidden":16,"layers":1,"seed":7},
             "progress":{"iteration":20,"best_by":"loss","best_value":1.25}}
            """);
        string header = """{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}}""";
        var st = new MemoryStream();
        st.Write(BitConverter.GetBytes((long)header.Length));
        st.Write(Encoding.ASCII.GetBytes(header));
        st.Write(new byte[40]);
        File.WriteAllBytes(Path.Combine(dir, "latest", "model.safetensors"), st.ToArray());
        File.WriteAllText(Path.Combine(dir, "samples.jsonl"), "{\"iter\":10,\"temperature\":0.8,\"text\":\"ROMEO: a sample\"}\n{\"iter\":2");
        File.WriteAllBytes(Path.Combine(dir, "loss.png"), [0x89, (byte)'P', (byte)'N', (byte)'G']);
    }

    private static void WriteCaptionRun(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "metrics.jsonl"), TrainLine(1, 2) + TrainLine(2, 1.5) + ValLine(2, 1.75, best: true));
        File.WriteAllText(Path.Combine(dir, "eval.json"), "{\"split\":\"test\",\"scores\":[{\"bleu4\":0.5}]}");
        File.WriteAllText(Path.Combine(dir, "captions.jsonl"),
            "{\"scene\":0,\"caption\":\"a bag above a sandal\",\"exact\":true,\"references\":[\"a bag above a sandal\"],"
            + "\"objects\":[{\"cell\":1,\"class\":\"bag\"},{\"cell\":4,\"class\":\"sandal\"}],"
            + "\"attended\":[{\"cell\":1,\"weight\":0.5},{\"cell\":1,\"weight\":0.9},{\"cell\":4,\"weight\":0.3},"
            + "{\"cell\":0,\"weight\":0.2},{\"cell\":4,\"weight\":0.8}]}\n"
            + "{\"scene\":1,\"caption\":\"two bags\",\"exact\":false,\"references\":[\"a bag\"],\"objects\":[{\"cell\":2,\"class\":\"bag\"}],"
            + "\"attended\":[{\"cell\":2,\"weight\":0.6},{\"cell\":2,\"weight\":0.7}]}\n"
            + "{\"scene\":2,\"cap");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Top, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
