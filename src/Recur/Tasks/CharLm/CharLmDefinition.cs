using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// <c>recur train</c>: the character LM (<see cref="CharLmTask"/>, char-rnn) on the one <see cref="Trainer"/>: the text
/// split into train/val/test by the options' fractions, the model built from the options, initialised from the seed or
/// taken from another run's weights, checkpoints in <see cref="CharCheckpoint"/>'s format.
/// </summary>
public sealed class CharLmDefinition : TaskDefinition<CharText, CharSettings, LoadedCheckpoint>
{
    /// <summary>The definition.</summary>
    public static CharLmDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override CheckpointFormat<LoadedCheckpoint> Checkpoint => CharCheckpoint.Instance;

    /// <summary>
    /// A character model's defaults: a 2x256 LSTM (embedding 32) with dropout 0.3, Adam at 3e-3 annealed by a cosine over the
    /// run's limit (<c>--minutes</c>, else its epochs) and a moving average of the weights; chosen on validation on
    /// tiny-shakespeare and checked on Python source (docs/TRAINING.md), where the earlier default (no dropout, a constant
    /// rate) overfit within 8 minutes. The text's first 90 % trains, the next 5 % validates (chooses <c>best/</c>), the last
    /// 5 % is the test split, scored only by <c>recur eval RUN --split test</c>.
    /// </summary>
    public override TrainOptions Defaults { get; } = new()
    {
        Embed = 32, Dropout = 0.3, LearningRate = 3e-3, LrSchedule = "cosine", Ema = 0.999, ValFrac = 0.05, TestFrac = 0.05,
    };

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> SharedOptions => TrainOptionSpecs.All;

    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec<CharSettings>> Options { get; } = [];

    /// <inheritdoc/>
    public override string DefaultData => Corpus.EmbeddedSource;

    /// <inheritdoc/>
    public override CharText LoadData(string path)
        => CharText.Of(Corpus.FromSource(path).Text);

    /// <summary>The embedded text by its name; a file by its full path.</summary>
    public override string SourceOf(string path) => path == Corpus.EmbeddedSource ? path : Path.GetFullPath(path);

    /// <inheritdoc/>
    protected override LoadedCheckpoint NewRun(TrainOptions options, CharSettings settings, CharText data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var vocabulary = settings.Vocabulary ?? data.Vocabulary;
        return new LoadedCheckpoint(new CharModel(options.ToModelConfig(vocabulary.Count)), vocabulary);
    }

    /// <inheritdoc/>
    protected override LoadedCheckpoint Rebuild(LoadedCheckpoint saved) => new(new CharModel(saved.Config), saved.Vocabulary);

    /// <inheritdoc/>
    protected override void Initialize(LoadedCheckpoint run, TrainOptions options, Rng rng) => run.Model.Reset(rng, options.InitialForgetBias);

    /// <summary>With <see cref="CharSettings.InitFrom"/>, that model's weights (same architecture, else an <see cref="ArgumentException"/>).</summary>
    protected override void StartFrom(LoadedCheckpoint run, CharSettings settings)
    {
        if (settings.InitFrom is not { } init) return;
        CharModelConfig have = init.Config, want = run.Config;
        if (have.Cell != want.Cell || have.Nonlinearity != want.Nonlinearity && want.Cell == "rnn" || have.Hidden != want.Hidden
            || have.Layers != want.Layers || have.Embed != want.Embed || have.VocabSize != want.VocabSize || have.Highway != want.Highway)
            throw new ArgumentException($"--init-from: the checkpoint is a {Describe(have)} but this run asks for a {Describe(want)}.");
        init.Store.Values.AsSpan(0, run.Model.Store.Count).CopyTo(run.Model.Store.Values);
    }

    /// <summary>The text's record: its length in characters and the checksum of its tokens.</summary>
    public override DataInfo DataOf(CharText data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new DataInfo(source, data.Tokens.Length, CheckpointFiles.TokenChecksum(data.Tokens));
    }

    /// <inheritdoc/>
    protected override ITrainingTask NewTask(LoadedCheckpoint run, CharText data, TrainOptions options, DataInfo info,
        Action<string, CheckpointProgress> write)
        => new CharLmTask(options, run.Vocabulary, data.TokensIn(run.Vocabulary), run.Model, info, write);

    /// <summary>A one-phrase description of an architecture, for messages: <c>lstm with hidden 256, 2 layer(s), ...</c>.</summary>
    public static string Describe(CharModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return $"{c.Cell}{(c.Cell == "rnn" ? "-" + c.Nonlinearity : "")} with hidden {c.Hidden}, {c.Layers} layer(s)"
            + $"{(c.Highway ? " with highways" : "")}, embed {c.Embed}, vocabulary {c.VocabSize}";
    }
}
