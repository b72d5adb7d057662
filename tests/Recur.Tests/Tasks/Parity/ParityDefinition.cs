using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.Classify;
using Recur.Training;

namespace Recur.Tests.Tasks.Parity;

/// <summary>
/// A task added the way docs/ARCHITECTURE.md says, to show that it takes one folder and no command-line code: the parity
/// of the first <c>--window</c> bits of a random bit string, read one bit per step by a recurrent classifier (the lecture's
/// many-to-one problem). Its data "path" names the number of strings (the run records it as a full path), drawn from a fixed seed;
/// its test split is a fifth as many more (at least 10) from another seed.
/// </summary>
internal sealed record ParitySettings
{
    public int Window { get; init; } = 3;

    public static IReadOnlyList<OptionSpec<ParitySettings>> Specs { get; } =
    [
        SettingSpecs.Int<ParitySettings>("window", "W", "parity", "the label is the parity of the first W bits", 1, ParityDefinition.Bits,
            s => s.Window, (s, v) => s with { Window = SettingSpecs.I(v) }),
    ];
}

/// <summary>A parity classifier as its checkpoint holds it.</summary>
internal sealed record LoadedParity(SequenceClassifier Model, int Window) : SavedRun
{
    public override IReadOnlyList<(string Prefix, Recur.Nn.ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>config.json's sections: <c>"model"</c> and <c>"window"</c>.</summary>
internal sealed class ParityCheckpoint() : CheckpointFormat<LoadedParity>("recur-parity", "parity", "parity classifier")
{
    public static ParityCheckpoint Instance { get; } = new();

    protected override void WriteSections(Utf8JsonWriter w, LoadedParity run)
    {
        w.WritePropertyName("model");
        CheckpointSections.Write(w, run.Model.Config);
        w.WriteNumber("window", run.Window);
    }

    protected override LoadedParity ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        var config = CheckpointSections.Section<SequenceClassifierConfig>(root, "model", path, required: true)!;
        config.Validate();
        Bound(config.Hidden > 4096, path);
        return new LoadedParity(new SequenceClassifier(config), (int)Whole(root, "window", path));
    }
}

/// <summary>
/// The parity task's definition: the only code it needs besides its settings and checkpoint. <see cref="WithoutTestSplit"/>
/// is the same task as one whose data has no test split.
/// </summary>
internal sealed class ParityDefinition(bool testSplit = true) : TaskDefinition<byte[][], ParitySettings, LoadedParity>
{
    public const int Bits = 8;

    public static ParityDefinition Instance { get; } = new();

    public static ParityDefinition WithoutTestSplit { get; } = new(testSplit: false);

    public override CheckpointFormat<LoadedParity> Checkpoint => ParityCheckpoint.Instance;

    public override TrainOptions Defaults { get; } = new()
    {
        Model = "gru", Hidden = 16, Layers = 1, BatchSize = 32, LearningRate = 1e-2, ValFrac = 0.2, MaxIters = 60, Threads = 1,
    };

    public override IReadOnlyList<OptionSpec> SharedOptions { get; } = TrainOptionSpecs.All
        .Where(s => s.Flag is "hidden" or "layers" or "seed" or "max-iters" or "eval-every" or "lr" or "threads" or "batch-size").ToArray();

    public override IReadOnlyList<OptionSpec<ParitySettings>> Options => ParitySettings.Specs;

    public override string DefaultData => "500";

    public override byte[][] LoadData(string path)
    {
        if (!int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 10)
            throw new ArgumentException($"the parity data is a number of strings (at least 10), got '{path}'.");
        return Strings(n, 7);
    }

    private static byte[][] Strings(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, Bits).Select(_ => (byte)(rng.NextDouble() < 0.5 ? 0 : 255)).ToArray())];
    }

    protected override int? TrainingExamples(TrainOptions options, ParitySettings settings, byte[][] data) => HeldOutRest(data.Length, options.ValFrac);

    protected override LoadedParity NewRun(TrainOptions options, ParitySettings settings, byte[][] data)
        => new(new SequenceClassifier(new SequenceClassifierConfig { Cell = options.Model, InputSize = 1, Hidden = options.Hidden, Layers = options.Layers, Classes = 2 }),
            settings.Window);

    protected override LoadedParity Rebuild(LoadedParity saved) => new(new SequenceClassifier(saved.Model.Config), saved.Window);

    protected override void Initialize(LoadedParity run, TrainOptions options, Rng rng) => run.Model.Reset(rng, options.InitialForgetBias);

    public override DataInfo DataOf(byte[][] data, string source) => new(source, data.Length, CheckpointFiles.TokenChecksum([.. data.SelectMany(b => b).Select(b => (int)b)]));

    protected override ITrainingTask NewTask(LoadedParity run, byte[][] data, TrainOptions options, DataInfo info, Action<string, CheckpointProgress> write)
    {
        int train = HeldOutRest(data.Length, options.ValFrac);
        return Task(run, data[..train], data[train..], options, info, write);
    }

    protected override ITrainingTask? NewTestTask(LoadedParity run, byte[][] data, TrainOptions options, DataInfo info)
        => testSplit ? Task(run, data[..HeldOutRest(data.Length, options.ValFrac)], Strings(Math.Max(10, data.Length / 5), 8), options, info, (_, _) => { })
            : null;

    /// <summary>A classifier task trained on <paramref name="train"/>, evaluated on <paramref name="heldOut"/>.</summary>
    private static ClassifyTask Task(LoadedParity run, byte[][] train, byte[][] heldOut, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
        => new(options, Images(run, train), Images(run, heldOut), ["even", "odd"], run.Model, info, write);

    private static LabeledImages Images(LoadedParity run, byte[][] strings)
        => new([.. strings.SelectMany(b => b)], [.. strings.Select(b => (byte)(b.Take(run.Window).Count(x => x != 0) % 2))], Bits, 1, 2, "parity");
}
