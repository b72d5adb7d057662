using System.Globalization;
using System.Text.Json;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Plotting;
using Recur.Tasks.Glimpse;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur glimpse train --model dram</c> and <c>recur glimpse eval</c> of a DRAM run: the deep recurrent attention model
/// (<see cref="DramDefinition"/>) on the captioning scenes.
/// </summary>
internal static class DramCli
{
    /// <summary>Whether <paramref name="args"/> train DRAM: <c>--model dram</c>, or <c>--resume</c> of a DRAM run.</summary>
    public static bool Trains(Args args)
    {
        if (args.String("resume") is { } run) return IsDram(run, CheckpointKind.Latest);
        return args.String("model") == DramDefinition.ModelName;
    }

    /// <summary>Whether the run folder (or checkpoint) <paramref name="run"/> is a DRAM run (config.json's task).</summary>
    public static bool IsDram(string run, CheckpointKind kind = CheckpointKind.Best)
    {
        try { return CheckpointFiles.TaskOf(run, kind) == DramCheckpoint.TaskName; }
        catch (CheckpointFormatException) { return false; }
        catch (IOException) { return false; }
    }

    /// <summary>Trains, then scores best/ on the validation scenes as eval does.</summary>
    public static int Train(Args args, int paths, int columns)
    {
        var (exit, run, dataDir) = TaskCli.Train(args, DramDefinition.Instance);
        if (exit is int code) return code;
        var best = DramCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        Report(best, dataDir, "validation", paths, columns);
        return 0;
    }

    /// <summary>Scores RUN's best/ (or latest/) on the split; <paramref name="dataDir"/> null is the run's own images.</summary>
    public static int Eval(string run, string? dataDir, string split, int paths, int columns, int threads, bool latest)
    {
        var ck = DramCheckpoint.Instance.Load(run, latest ? CheckpointKind.Latest : CheckpointKind.Best);
        ck.Model.Threads = threads > 0 ? threads : Environment.ProcessorCount;
        Report(ck, dataDir ?? ck.Data?.Source ?? DramDefinition.Instance.DefaultData, split, paths, columns);
        return 0;
    }

    /// <summary>Scores <paramref name="ck"/> on <paramref name="split"/>; writes eval.json, glimpses.jsonl and the path pictures.</summary>
    private static void Report(LoadedDram ck, string dir, string split, int paths, int columns)
    {
        var data = DramDefinition.Instance.LoadData(dir);
        if (split == "validation")
        {
            var now = DramDefinition.Instance.DataOf(data, dir);
            if (ck.Data is { } d && (now.Characters != d.Characters || now.Checksum != d.Checksum))
                throw new CliException($"the training images in {dir} ({now.Characters:N0}) are not the ones {ck.Directory} was trained on "
                    + $"({d.Source}, {d.Characters:N0}), so its validation scenes are unknown; give the run's data, or --split test.", 1);
        }
        double valFrac = (ck.Training ?? DramDefinition.Instance.Defaults).ValFrac;
        SceneSplit scenes;
        try { scenes = DramDefinition.Split(data, ck.Scenes, valFrac, split); }
        catch (ArgumentException e) { throw new CliException(e.Message, 1); }
        if (scenes.Scenes.Count == 0) throw new CliException($"the {split} split holds no scenes (--val-frac {valFrac}).", 1);
        string folder = ck.RunDirectory ?? ck.Directory;
        string json = Path.Combine(folder, "eval.json");
        var examples = new DramExamples(json, split, ck.Model, scenes);
        var s = DramScore.Of(ck.Model, scenes, examples.Add);
        examples.Save();
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{split}: {DramSummary.Of(ck.Model.Config)}; {ck.Model.Store.Count:N0} parameters ({ck.Directory})"));
        Console.WriteLine(string.Create(inv, $"{s.Scenes:N0} scenes ({s.Objects:N0} objects): sequence accuracy {s.SequenceAccuracy:F4}, "
            + $"object accuracy {s.ObjectAccuracy:F4}, count accuracy {s.CountAccuracy:F4}, loss {s.Loss:F4} nats; pixels read {100 * s.PixelsRead:F2} %"));
        using (var stream = File.Create(json))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("checkpoint", Path.GetFileName(Path.TrimEndingDirectorySeparator(ck.Directory)));
            w.WriteString("architecture", DramDefinition.ModelName);
            w.WriteNumber("parameters", ck.Model.Store.Count);
            w.WriteNumber("scenes", s.Scenes);
            w.WriteNumber("objects", s.Objects);
            w.WriteNumber("sequence_accuracy", s.SequenceAccuracy);
            w.WriteNumber("object_accuracy", s.ObjectAccuracy);
            w.WriteNumber("count_accuracy", s.CountAccuracy);
            w.WriteNumber("error", s.Error);
            w.WriteNumber("loss", s.Loss);
            w.WriteNumber("values_read", s.ValuesRead);
            w.WriteNumber("pixels", s.Pixels);
            w.WriteNumber("pixels_read", s.PixelsRead);
            w.WriteEndObject();
        }
        Console.WriteLine($"wrote {json}, {examples.Lines.FilePath} ({examples.Lines.Count:N0} scenes, their pictures in {ExampleLines.PictureFolder}/)");
        if (paths == 0) return;
        var figures = DramFigures.Of(ck.Model, scenes, paths);
        string png = Path.Combine(folder, $"paths-{split}.png");
        Png.Save(png, GlimpsePaths.Grid([.. figures.Select(f => f.Path)], columns));
        string html = Path.Combine(folder, $"paths-{split}.html");
        string intro = $"The first {figures.Count} {split} scenes of {folder}: {DramSummary.Of(ck.Model.Config)}. Each glimpse's scales are "
            + "squares in its colour, numbered in order and joined by a line; the panels show what the retina passed on and what each slot said.";
        AtomicFile.WriteAllBytes(html, System.Text.Encoding.UTF8.GetBytes(GlimpseReport.Build($"DRAM glimpse paths, {split}", intro, figures)));
        Console.WriteLine($"glimpse paths of the first {figures.Count} {split} scenes: {png}, {html}");
    }
}
