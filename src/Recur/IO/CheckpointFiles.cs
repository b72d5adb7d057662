using System.Text.Json;

namespace Recur.IO;

/// <summary>Which checkpoint of a run folder to open.</summary>
public enum CheckpointKind
{
    /// <summary>
    /// <c>best/</c> (the best validation figure: the loss unless the task chooses by a metric), falling back to <c>latest/</c> when there is none.
    /// </summary>
    Best,

    /// <summary><c>latest/</c> (the most recent save; what <c>--resume</c> continues from).</summary>
    Latest,
}

/// <summary>Where a checkpoint stands in its run: written to <c>config.json</c> under <c>"progress"</c>.</summary>
/// <param name="Iteration">Optimizer updates done.</param>
/// <param name="Epoch">Epochs done, fractional (<c>epoch + batch / batches_per_epoch</c>).</param>
/// <param name="TrainLoss">Mean training loss (nats/char) since the previous evaluation, if any.</param>
/// <param name="ValLoss">Validation loss (nats/char) of these weights, if evaluated.</param>
/// <param name="BestValLoss">Validation loss of the run's best evaluation so far (the one <c>best/</c> holds), if any.</param>
/// <param name="ElapsedSeconds">Training wall-clock time so far, summed over resumes.</param>
/// <param name="BestBy">
/// The validation figure that chooses the best evaluation: <c>loss</c> or a metric's name (g2p's <c>wer</c>). Null in a checkpoint
/// written before it was recorded, whose best was the lowest loss.
/// </param>
/// <param name="BestValue">That figure at the best evaluation, if any (null in an older checkpoint: then <paramref name="BestValLoss"/>).</param>
public sealed record CheckpointProgress(long Iteration, double Epoch, double? TrainLoss, double? ValLoss, double? BestValLoss, double ElapsedSeconds,
    string? BestBy = null, double? BestValue = null);

/// <summary>What a run was trained on: written to <c>config.json</c> under <c>"data"</c>, checked on resume.</summary>
/// <param name="Source">A path or <c>embedded:tinyshakespeare.txt</c>.</param>
/// <param name="Characters">Number of characters (tokens) in the whole text.</param>
/// <param name="Checksum">FNV-1a 64 of the token ids, as 16 hex digits (see <see cref="CheckpointFiles.TokenChecksum"/>).</param>
public sealed record DataInfo(string Source, long Characters, string Checksum);

/// <summary>
/// The files of a checkpoint folder, the same for every task: a run folder holds <c>best/</c> (best validation figure) and
/// <c>latest/</c>; each holds <c>model.safetensors</c>, <c>config.json</c> (<c>format</c>, <c>version</c>, <c>task</c>, the task's
/// sections) and <c>state.safetensors</c>. Checkpoint folders are swapped in atomically (<see cref="CheckpointFolder"/>).
/// </summary>
public static class CheckpointFiles
{
    /// <summary>The weights file name.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>The configuration file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The training-state file name.</summary>
    public const string StateFile = "state.safetensors";

    /// <summary>The config version this code writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Subfolder name of a checkpoint kind: <c>best</c> or <c>latest</c>.</summary>
    public static string FolderName(CheckpointKind kind) => kind == CheckpointKind.Best ? "best" : "latest";

    /// <summary>
    /// The checkpoint folder that <paramref name="path"/> names: the folder itself when it holds a
    /// <c>config.json</c>; for a run folder, <c>best/</c> or <c>latest/</c> as <paramref name="prefer"/>
    /// says, falling back to the other and then to a half-swapped <c>.best.old</c>/<c>.latest.old</c>.
    /// Throws <see cref="CheckpointFormatException"/> (or <see cref="DirectoryNotFoundException"/>) with
    /// what was looked for.
    /// </summary>
    public static string Resolve(string path, CheckpointKind prefer = CheckpointKind.Best)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            string name = Path.GetFileName(path);
            if (name is ModelFile or ConfigFile or StateFile) path = Path.GetDirectoryName(Path.GetFullPath(path))!;
            else throw new CheckpointFormatException($"{path}: is a file; give a run folder (holding best/ or latest/) or a checkpoint folder (holding "
                + $"{ConfigFile} and {ModelFile}).");
        }
        if (!System.IO.Directory.Exists(path))
            throw new DirectoryNotFoundException($"{path}: no such run or checkpoint folder.");
        if (File.Exists(Path.Combine(path, ConfigFile)) || File.Exists(Path.Combine(path, ModelFile))) return path;
        var order = prefer == CheckpointKind.Best ? new[] { "best", "latest" } : ["latest", "best"];
        foreach (string n in order)
        {
            string d = Path.Combine(path, n);
            if (File.Exists(Path.Combine(d, ConfigFile))) return d;
        }
        foreach (string n in order)
        {
            string d = Path.Combine(path, "." + n + ".old");
            if (File.Exists(Path.Combine(d, ConfigFile))) return d;
        }
        throw new CheckpointFormatException(
            $"{path}: not a checkpoint: no {ConfigFile} there, and no best/ or latest/ subfolder holding one. " +
            "Give the --out folder of a 'recur train' run, or one of its best/ or latest/ folders.");
    }

    /// <summary>
    /// The task of the checkpoint <paramref name="runOrCheckpointDir"/> names (resolved as <see cref="Resolve"/> does):
    /// its config.json's <c>"task"</c>, or <see cref="LegacyTask"/> for a character-model config written before
    /// tasks existed. Throws <see cref="CheckpointFormatException"/> when the config cannot be read.
    /// </summary>
    public static string TaskOf(string runOrCheckpointDir, CheckpointKind prefer = CheckpointKind.Best)
    {
        string path = Path.Combine(Resolve(runOrCheckpointDir, prefer), ConfigFile);
        byte[] bytes = ReadConfigBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String) return t.GetString()!;
            return LegacyTask;
        }
        catch (JsonException e) { throw CheckpointFormatException.NotJson(path, e); }
    }

    /// <summary>
    /// FNV-1a 64 over the token ids (each as 4 little-endian bytes), as 16 lowercase hex digits: a cheap
    /// fingerprint that tells a resumed run whether it got the same text.
    /// </summary>
    public static string TokenChecksum(ReadOnlySpan<int> tokens)
    {
        ulong h = 14695981039346656037UL;
        foreach (int t in tokens)
        {
            uint u = (uint)t;
            for (int k = 0; k < 4; k++) { h ^= (byte)(u >> (8 * k)); h *= 1099511628211UL; }
        }
        return h.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The bytes of a <c>config.json</c>, refusing a missing, unreadable or absurdly large file with one message.</summary>
    public static byte[] ReadConfigBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new CheckpointFormatException($"{path}: missing.");
            if (info.Length > 64L << 20)
                throw new CheckpointFormatException($"{path}: {info.Length} bytes is far too large for a checkpoint config; the file is corrupted.");
            return File.ReadAllBytes(path);
        }
        catch (IOException e) when (e is not FileNotFoundException) { throw new CheckpointFormatException($"{path}: cannot read: {e.Message}", e); }
    }

    /// <summary>The run folder holding checkpoint folder <paramref name="dir"/> (the parent of best/, latest/ or a half-swapped .old), or null.</summary>
    public static string? RunDirectoryOf(string dir)
    {
        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        return Path.GetFileName(full) is "best" or "latest" or ".best.old" or ".latest.old" ? Path.GetDirectoryName(full) : null;
    }


    /// <summary>The task of a config that names none: character models were saved before tasks existed.</summary>
    public const string LegacyTask = "char-lm";
}
