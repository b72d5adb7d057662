using System.Text.Json;
using Recur.Models.G2p;
using Recur.Models.Seq2Seq;
using Recur.Training;

namespace Recur.IO;

/// <summary>A pronunciation model read back: the model with its weights, its symbols, the word split seed and what the run recorded.</summary>
public sealed record LoadedG2p(Seq2SeqModel Model, G2pSymbols Symbols, ulong SplitSeed, string Directory, string? RunDirectory,
    TrainOptions? Training, CheckpointProgress? Progress, DataInfo? Data)
{
    public string StatePath => Path.Combine(Directory, CheckpointFiles.StateFile);
}

/// <summary>
/// Pronunciation-model checkpoints (<c>recur g2p train</c>): <c>model.safetensors</c> (<c>src_embed</c>, <c>encoder</c> with
/// <c>nn.LSTM</c>'s bidirectional names, <c>bridge</c>, <c>tgt_embed</c>, <c>att</c>, <c>decoder</c>, <c>head</c>);
/// <c>config.json</c> = <c>{"format": "recur-g2p", "version": 1, "task": "g2p", "model": {...}, "letters": [...],
/// "phones": [...], "split_seed": 1, ...}</c>.
/// </summary>
public static class G2pCheckpoint
{
    public const string Format = "recur-g2p";

    public static void WriteModelFiles(string directory, Seq2SeqModel model, G2pSymbols symbols, ulong splitSeed, TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(symbols);
        ModelFiles.WriteWeights(directory, ("", model.Store));
        Training.LegacyModelFiles.WriteConfig(directory, Format, Tasks.G2pTask.TaskName, w =>
        {
            w.WritePropertyName("model");
            CheckpointSections.Write(w, model.Config);
            foreach (var (name, list) in new[] { ("letters", symbols.Letters), ("phones", symbols.Phones) })
            {
                w.WriteStartArray(name);
                foreach (var s in list) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            w.WriteNumber("split_seed", splitSeed);
        }, training, progress, data);
    }

    public static LoadedG2p Load(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string dir = CheckpointFiles.Resolve(runOrCheckpointDir, prefer);
        string path = Path.Combine(dir, CheckpointFiles.ConfigFile);
        var (model, symbols, seed, training, progress, data) = ModelFiles.ReadConfig(path, Format, "pronunciation model", root =>
        {
            var config = CheckpointSections.Section<Seq2SeqConfig>(root, "model", path, required: true)!;
            if (!root.TryGetProperty("split_seed", out var ss) || !ss.TryGetUInt64(out ulong splitSeed)) throw new CheckpointFormatException($"{path}: \"split_seed\" should be a whole number.");
            G2pSymbols s;
            Seq2SeqModel m;
            try
            {
                config.Validate();
                if ((long)config.DecoderHidden * config.DecoderHidden > 1L << 28 || (long)config.Hidden * config.Hidden > 1L << 28) throw new CheckpointFormatException($"{path}: model config is out of range; the file is corrupted.");
                s = new G2pSymbols(ModelFiles.Strings(root, "letters", path), ModelFiles.Strings(root, "phones", path));
                if (s.Letters.Count != config.SourceVocab || s.Phones.Count != config.TargetVocab)
                    throw new CheckpointFormatException($"{path}: {s.Letters.Count} letters and {s.Phones.Count} phones do not fit the model ({config.SourceVocab}, {config.TargetVocab}).");
                m = new Seq2SeqModel(config);
            }
            catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: invalid: {e.Message}", e); }
            return (m, s, splitSeed,
                CheckpointSections.Section<TrainOptions>(root, "training", path, required: false),
                CheckpointSections.Record<CheckpointProgress>(root, "progress", path, required: false),
                CheckpointSections.Record<DataInfo>(root, "data", path, required: false));
        });
        ModelFiles.ReadWeights(dir, "pronunciation model", ("", model.Store));
        return new LoadedG2p(model, symbols, seed, dir, CheckpointFiles.RunDirectoryOf(dir), training, progress, data);
    }
}
