using System.Text;
using System.Text.Json.Nodes;
using Recur.Data.Language;
using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>
/// A tagging run's evaluation data in its PyTorch package, <c>sentences.json</c>: the validation and test sentences of
/// the run's document split (the Brown corpus split 80/10/10 by <c>split_seed</c>, as <c>recur tag</c> splits it) with
/// their gold tags as ids of the run's tag list (mapped to its tagset), and the training words (lower case), for the
/// accuracy on unseen words. The package does not reimplement the corpus reader, the split nor the tag mappings.
/// <code>
/// {"validation": [{"words": [...], "tags": [ids]}, ...], "test": [...], "seen": [lower-cased training words]}
/// </code>
/// </summary>
internal static class TagPackageData
{
    /// <summary>The file's name in the package.</summary>
    public const string FileName = "sentences.json";

    /// <summary>Writes <see cref="FileName"/> when the run's corpus can be read (else eval.py says what is missing).</summary>
    public static void Write(JsonObject config, string folder, JsonObject export)
    {
        string? source = export["text_source"]?.GetValue<string>() ?? config["data"]?["source"]?.GetValue<string>();
        if (source is null) return;
        export["data"] = source;
        IReadOnlyList<BrownDocument> documents;
        try { documents = BrownCorpus.Load(source); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return; }
        ulong seed = config["split_seed"]?.GetValue<ulong>() ?? throw new CheckpointFormatException("the checkpoint's config.json has no \"split_seed\".");
        bool universal = config["tagset"]?.GetValue<string>() == "universal";
        var tags = (config["tags"] ?? throw new CheckpointFormatException("the checkpoint's config.json has no \"tags\"."))
            .AsArray().Select((t, i) => (t!.GetValue<string>(), i)).ToDictionary(p => p.Item1, p => p.i, StringComparer.Ordinal);
        var (train, validation, test) = BrownCorpus.Split(documents, seed);
        JsonArray Sentences(IEnumerable<BrownDocument> docs) => [.. docs.SelectMany(d => d.Sentences).Select(s => (JsonNode)new JsonObject
        {
            ["words"] = new JsonArray([.. s.Words.Select(w => JsonValue.Create(w))]),
            ["tags"] = new JsonArray([.. s.Tags.Select(t => JsonValue.Create(
                tags.TryGetValue(universal ? BrownCorpus.Universal(t) : BrownCorpus.Fine(t), out int id) ? id : -1))]),
        })];
        var seen = train.SelectMany(d => d.Sentences).SelectMany(s => s.Words).Select(w => w.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var root = new JsonObject
        {
            ["validation"] = Sentences(validation), ["test"] = Sentences(test), ["seen"] = new JsonArray([.. seen.Select(w => JsonValue.Create(w))]),
        };
        AtomicFile.WriteAllBytes(Path.Combine(folder, FileName), Encoding.UTF8.GetBytes(root.ToJsonString()));
        export["sentences"] = FileName;
    }
}
