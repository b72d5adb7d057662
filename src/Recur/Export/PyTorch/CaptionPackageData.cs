using System.Text.Json.Nodes;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Captioning;

namespace Recur.Export.PyTorch;

/// <summary>
/// A captioning run's data in its PyTorch package. The scenes are drawn by Recur's generator, which the package does not
/// reimplement: <c>scenes.safetensors</c> holds, for the training scenes and the validation scenes (seen compositions
/// first, then held-out ones, as <c>recur caption</c> validates), each scene's cells <c>(N, cells)</c> (the index of the
/// Fashion-MNIST training image drawn in the cell, -1 where the cell is empty) and its canonical caption encoded
/// <c>(N, MaxWords + 2)</c>. data.py renders the scenes from the run's image folder (recorded under <c>"export"</c>
/// <c>"data"</c>) and the package's encoder computes their features.
/// <code>
/// train.cells  I64 (N, G²)          train.captions  I64 (N, W)
/// validation.cells  I64 (Nv, G²)    validation.captions  I64 (Nv, W)
/// </code>
/// </summary>
internal static class CaptionPackageData
{
    /// <summary>The file's name in the package.</summary>
    public const string FileName = "scenes.safetensors";

    /// <summary>Writes <see cref="FileName"/> when the run's images can be read (else train.py and eval.py say what is missing).</summary>
    public static void Write(JsonObject config, string folder, JsonObject export)
    {
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>();
        if (source is null) return;
        export["data"] = source;
        LabeledImages train;
        try { train = FashionMnist.Load(source).Train; }
        catch (Exception e) when (e is IOException or IdxFormatException or UnauthorizedAccessException) { return; }
        var s = config["scenes"] ?? throw new CheckpointFormatException("the checkpoint's config.json has no \"scenes\".");
        var scenes = new SceneOptions
        {
            Train = s["train"]!.GetValue<int>(), TestSeen = s["test_seen"]!.GetValue<int>(), TestHeldOut = s["test_held_out"]!.GetValue<int>(),
            HeldOutPairs = s["held_out_pairs"]!.GetValue<int>(), Seed = s["seed"]!.GetValue<ulong>(),
        };
        double valFrac = config["training"]?["val_frac"]?.GetValue<double>() ?? 0.05;
        var vocabulary = new CaptionVocabulary([.. config["vocabulary"]!.AsArray().Select(w => w!.GetValue<string>())]);
        int maxWords = config["model"]!["max_words"]!.GetValue<int>();
        var trainScenes = SceneGenerator.Training(train, scenes).Scenes;
        var (seen, held) = SceneGenerator.Validation(train, scenes, valFrac);
        var integers = new List<KeyValuePair<string, IntegerArray>>();
        foreach (var (name, list) in new[] { ("train", trainScenes), ("validation", (IReadOnlyList<Scene>)[.. seen.Scenes, .. held.Scenes]) })
        {
            var (cells, captions) = Encode(list, vocabulary, maxWords);
            integers.Add(new($"{name}.cells", cells));
            integers.Add(new($"{name}.captions", captions));
        }
        SafeTensors.Write(Path.Combine(folder, FileName), new SafeTensorsFile(null, integers));
        export["scenes"] = FileName;
    }

    /// <summary>The scenes' cells <c>(N, G²)</c> (image index or -1) and their canonical captions encoded <c>(N, maxWords + 2)</c>.</summary>
    private static (IntegerArray Cells, IntegerArray Captions) Encode(IReadOnlyList<Scene> scenes, CaptionVocabulary vocabulary, int maxWords)
    {
        int G = scenes.Count > 0 ? scenes[0].GridSide * scenes[0].GridSide : Scene.DefaultGridSide * Scene.DefaultGridSide, W = maxWords + 2;
        var cells = new long[scenes.Count * G];
        var captions = new long[scenes.Count * W];
        var ids = new int[W];
        Array.Fill(cells, -1L);
        for (int i = 0; i < scenes.Count; i++)
        {
            foreach (var item in scenes[i].Items) cells[i * G + item.Cell] = item.Image;
            vocabulary.Encode(CaptionGrammar.Canonical(scenes[i]), ids);
            for (int k = 0; k < W; k++) captions[i * W + k] = ids[k];
        }
        return (new IntegerArray(cells, [scenes.Count, G]), new IntegerArray(captions, [scenes.Count, W]));
    }
}
