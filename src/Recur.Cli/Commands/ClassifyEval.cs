using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Tasks.Classify;

namespace Recur.Cli.Commands;

/// <summary>
/// A classifier's report on one split: the validation images (the last <c>--val-frac</c> of the training images, as the run
/// held them out) or the test images. Accuracy, loss, the confusion matrix, <c>misclassified.png</c> and <c>eval.json</c>
/// (which names the split) in the run folder.
/// </summary>
internal static class ClassifyEval
{
    /// <summary><c>recur classify eval RUN [DIR]</c> (positional offset 1) or <c>recur eval RUN [DIR]</c> (offset 0).</summary>
    public static int Eval(Args args, int offset)
    {
        int threads = args.Int("threads", 0, min: 0, max: 1024);
        bool latest = args.Flag("latest");
        string split = TaskCli.Split(args);
        args.ThrowOnUnused(offset + 2);
        if (args.Positional.Count < offset + 1) throw new CliException("name a run: recur classify eval RUN [DIR].");
        var ck = ClassifierCheckpoint.Instance.Load(args.Positional[offset], latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        string dir = args.Positional.Count > offset + 1 ? args.Positional[offset + 1] : ck.Data?.Source ?? FashionMnist.DefaultDirectory;
        Report(ck, dir, split);
        return 0;
    }

    /// <summary>Scores <paramref name="ck"/> on <paramref name="split"/> of the images in <paramref name="dir"/> and writes its files.</summary>
    public static void Report(LoadedClassifier ck, string dir, string split)
    {
        var set = Images(ck, dir, split);
        var s = ClassifyTask.Score(ck.Model, set);
        var names = ck.ClassNames;
        var inv = CultureInfo.InvariantCulture;
        string folder = ck.RunDirectory ?? ck.Directory;
        Console.WriteLine(string.Create(inv, $"{split}: {set.Count:N0} images, accuracy {s.Accuracy:F4}, loss {s.Loss:F4} nats ({ck.Directory})"));
        int K = names.Count, w = names.Max(n => n.Length) + 5;
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        Console.WriteLine(new string(' ', w) + string.Concat(Enumerable.Range(0, K).Select(k => k.ToString(inv).PadLeft(6))) + "  recall");
        for (int i = 0; i < K; i++)
        {
            long row = 0;
            for (int j = 0; j < K; j++) row += s.Confusion[i, j];
            string recall = row == 0 ? "-" : ((double)s.Confusion[i, i] / row).ToString("F3", inv);
            Console.WriteLine($"{i,2} {names[i]}".PadRight(w)
                + string.Concat(Enumerable.Range(0, K).Select(j => s.Confusion[i, j].ToString(inv).PadLeft(6))) + "  " + recall);
        }
        var png = Misclassified.Png(set, s.Predicted, names);
        if (png is not null)
        {
            string path = Path.Combine(folder, "misclassified.png");
            AtomicFile.WriteAllBytes(path, png);
            Console.WriteLine($"misclassified {split} examples: {path}");
        }
        string json = Path.Combine(folder, "eval.json");
        using (var stream = File.Create(json))
        using (var jw = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            jw.WriteStartObject();
            jw.WriteString("split", split);
            jw.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
            jw.WriteNumber("images", set.Count);
            if (double.IsFinite(s.Accuracy)) jw.WriteNumber("accuracy", s.Accuracy);
            if (double.IsFinite(s.Loss)) jw.WriteNumber("loss", s.Loss);
            jw.WriteEndObject();
        }
        Console.WriteLine($"wrote {json}");
    }

    /// <summary>
    /// The images of <paramref name="split"/>: the test images of <paramref name="dir"/>, or its training images' validation part as
    /// the run held it out (its recorded <c>--val-frac</c>), refused when they are not the images the run was trained on.
    /// </summary>
    private static LabeledImages Images(LoadedClassifier ck, string dir, string split)
    {
        var (train, test) = ClassifyCommand.LoadData(dir);
        if (split == "test") return test;
        var now = ClassifyDefinition.Instance.DataOf(ClassifyData.Fashion(train), dir);
        if (ck.Data is { } d && (now.Characters != d.Characters || now.Checksum != d.Checksum))
            throw new CliException($"the training images in {dir} ({now.Characters:N0}) are not the ones {ck.Directory} was trained on ({d.Source}, "
                + $"{d.Characters:N0}), so its validation images are unknown; give the run's data, or --split test.", 1);
        double valFrac = ClassifyDefinition.Instance.RecordedOptions(ck).ValFrac;
        var (_, validation) = ClassifyDefinition.Split(train, valFrac);
        if (validation.Count == 0)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"{ck.Directory}: the run held out no validation images (--val-frac {valFrac}); score --split test."), 1);
        return validation;
    }
}
