using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Recur.Data;
using Recur.Data.Language;
using Recur.IO;
using Recur.Imaging;
using Recur.Models;
using Recur.Plotting;
using Recur.Tasks.CharLm;
using Recur.Tests.TestUtil;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Reader fuzzing (issue 15): <c>--cases</c> seeded mutants (tests/Recur.Tests/TestUtil/Mutants.cs, the generator the
/// tests' short runs use) of valid inputs for each reader: the checkpoint (config.json, model.safetensors and
/// state.safetensors of a real checkpoint folder), IDX (raw and gzip Fashion-MNIST samples), PNG (half with the chunks'
/// CRCs repaired), the CMU dictionary and the Brown corpus. A case passes when the reader returns or throws its own
/// format exception with a one-line message; it fails on any other exception, a message of several lines, an
/// allocation above 64 bytes per input byte + 8 MiB, or more than a second. Prints one row per reader and exits 1 on
/// any failure.
/// </summary>
internal static class FuzzBench
{
    private sealed record Reader(string Name, byte[][] Seeds, Type Refusal, Action<byte[]> Read, int Keep = 0, bool RepairPng = false);

    public static int Run(string[] args)
    {
        int cases = Option(args, "--cases", 10_000), seed = Option(args, "--seed", 1);
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        string root = MinCharBench.FindRepoRoot();
        string work = Directory.CreateTempSubdirectory("recur-fuzz-").FullName;
        try
        {
            var readers = Readers(root, work).Where(r => only is null || r.Name.StartsWith(only, StringComparison.Ordinal)).ToList();
            Console.WriteLine($"| reader | cases | read | refused | failures | largest allocation | for an input of | slowest case |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            int failures = 0;
            foreach (var r in readers) failures += Fuzz(r, cases, (ulong)seed);
            return failures == 0 ? 0 : 1;
        }
        finally { try { Directory.Delete(work, recursive: true); } catch (IOException) { } }
    }

    private static int Fuzz(Reader r, int cases, ulong seed)
    {
        foreach (var good in r.Seeds) r.Read(good); // the seeds themselves must read
        var rng = new Rng(seed);
        int read = 0, refused = 0, failed = 0;
        long largest = 0, largestInput = 0;
        double slowest = 0;
        string? example = null;
        for (int i = 0; i < cases; i++)
        {
            var bad = Mutants.Mutate(r.Seeds[i % r.Seeds.Length], rng, r.Keep);
            if (r.RepairPng && i % 2 == 0) Mutants.RepairPngCrcs(bad);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            string? problem = null;
            try { r.Read(bad); read++; }
            catch (Exception e) when (e.GetType() == r.Refusal)
            {
                refused++;
                example ??= e.Message;
                if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n', StringComparison.Ordinal))
                    problem = $"a refusal of several lines: {e.Message}";
            }
            catch (Exception e) { problem = $"{e.GetType().Name}: {e.Message}"; }
            double seconds = clock.Elapsed.TotalSeconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            slowest = Math.Max(slowest, seconds);
            if (allocated > largest) { largest = allocated; largestInput = bad.Length; }
            if (problem is null && allocated > 64L * bad.Length + (8 << 20)) problem = $"{allocated:N0} bytes allocated for {bad.Length:N0} bytes of input";
            if (problem is null && seconds > 1) problem = $"{seconds:F2} s";
            if (problem is not null)
            {
                failed++;
                if (failed <= 5) Console.Error.WriteLine($"{r.Name} case {i}: {problem}");
            }
        }
        Console.WriteLine($"| {r.Name} | {cases:N0} | {read:N0} | {refused:N0} | {failed} | {largest / 1024.0:N0} KiB | {largestInput / 1024.0:N1} KiB | "
            + $"{slowest * 1000:F1} ms |");
        if (example is not null) Console.Error.WriteLine($"  {r.Name}, first refusal: {example}");
        return failed;
    }

    private static IEnumerable<Reader> Readers(string root, string work)
    {
        // A real checkpoint folder: a two-layer LSTM with its Adam state; each case damages one of its three files.
        string ck = Path.Combine(work, "ck");
        var vocab = Vocabulary.FromText("hello wörld\n");
        var options = new TrainOptions { Hidden = 16, Layers = 2, Embed = 8 };
        var model = new CharModel(options.ToModelConfig(vocab.Count));
        model.Reset(new Rng(3));
        var opt = new Adam(model.Store, 1e-3);
        var state = new TrainingState
        {
            OptimizerName = "adam", OptimizerSteps = 2, OptimizerBuffers = opt.State, RngState = new Rng(4).State, Iteration = 2,
            TaskIntegers = new Dictionary<string, IntegerArray> { ["position"] = new IntegerArray([3, 4]) },
            TrainLosses = [2.5, 2.4], ValIterations = [2], ValLosses = [2.45], ElapsedSeconds = 1.5,
        };
        CharCheckpoint.Save(ck, model, vocab, options, new CheckpointProgress(2, 0.1, 2.45, 2.45, 2.4, 1.5), new DataInfo("x.txt", 100, "00ff"), state);
        foreach (string file in new[] { CheckpointFiles.ConfigFile, CheckpointFiles.ModelFile, CheckpointFiles.StateFile })
        {
            string path = Path.Combine(ck, file);
            byte[] good = File.ReadAllBytes(path);
            yield return new Reader("checkpoint " + file, [good], typeof(CheckpointFormatException), bytes =>
            {
                File.WriteAllBytes(path, bytes);
                try
                {
                    var back = CharCheckpoint.Read(ck);
                    TrainingState.Read(Path.Combine(ck, CheckpointFiles.StateFile), back.Model.Store.Count);
                }
                finally { File.WriteAllBytes(path, good); }
            });
        }

        string fashion = Path.Combine(root, "tests", "Recur.Tests", "Data", "Samples", "fashion-mnist");
        byte[] labelsGz = File.ReadAllBytes(Path.Combine(fashion, "t10k-labels-idx1-ubyte.gz"));
        byte[] images = Gunzip(File.ReadAllBytes(Path.Combine(fashion, "t10k-images-idx3-ubyte.gz")));
        var head = Idx.Read(new MemoryStream(images), "images");
        byte[] few = Idx.Encode(head.Data.AsSpan(0, 12 * 28 * 28).ToArray(), 12, 28, 28);
        yield return new Reader("IDX", [few, Gunzip(labelsGz), labelsGz], typeof(IdxFormatException), bytes => Idx.Read(new MemoryStream(bytes), "fuzz"));

        var pixels = new byte[20 * 12 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        var pngs = new List<byte[]> { Png.Encode(new PixelImage(20, 12, 3, pixels)) };
        pngs.AddRange(Directory.GetFiles(Path.Combine(root, "tests", "Recur.Tests", "Imaging", "Samples"), "*.png")
            .Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
        yield return new Reader("PNG", [.. pngs], typeof(PngFormatException), bytes => PngDecoder.Decode(bytes, maxPixels: 1 << 20), Keep: 8, RepairPng: true);

        byte[] dict = File.ReadAllBytes(Path.Combine(root, "tests", "Recur.Tests", "Data", "Samples", "cmudict", "cmudict-sample.out"));
        dict = dict[..(Array.LastIndexOf(dict, (byte)'\n', 4000) + 1)]; // whole lines
        yield return new Reader("CMU dictionary", [dict], typeof(CorpusFormatException),
            bytes => CmuLexicon.Parse(new StringReader(Encoding.Latin1.GetString(bytes)), "dict"));

        string brown = Path.Combine(root, "tests", "Recur.Tests", "Data", "Samples", "brown");
        yield return new Reader("Brown corpus", [File.ReadAllBytes(Path.Combine(brown, "ca01")), File.ReadAllBytes(Path.Combine(brown, "cn01"))],
            typeof(CorpusFormatException), bytes => BrownCorpus.Parse(Encoding.UTF8.GetString(bytes), "doc"));

        string gettext = Path.Combine(root, "tests", "Recur.Tests", "Data", "Samples", "gettext-fr");
        string[] catalogues = ["upower", "xz", "gdk-pixbuf", "net-tools"];
        yield return new Reader("gettext .mo", [.. catalogues.Select(d => File.ReadAllBytes(Path.Combine(gettext, d + ".mo")))],
            typeof(Recur.Data.Translation.MoFormatException),
            bytes => Recur.Data.Translation.CatalogueSet.PairsOf(Recur.Data.Translation.MoCatalogue.Read(bytes, "fuzz"), "fuzz", "fuzz"));
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var z = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var o = new MemoryStream();
        z.CopyTo(o);
        return o.ToArray();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
