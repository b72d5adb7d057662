using System.Globalization;
using Recur.Data;
using Recur.Data.Scenes;
using Recur.IO;
using Recur.Models.Vqa;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Vqa;

/// <summary>What a VQA model scored on a set of questions: loss, accuracy, and accuracy per kind of question.</summary>
public sealed record VqaScore(double Loss, double Accuracy, int Questions, IReadOnlyDictionary<QuestionKind, (int Right, int Total)> ByKind)
{
    /// <summary>Scores <paramref name="model"/> on every question of <paramref name="set"/>, in batches of 512.</summary>
    public static VqaScore Of(VqaModel model, VqaDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int T = SceneQuestions.MaxWords, chunk = 512;
        var all = new float[set.Count * 4];
        var answers = new int[set.Count];
        for (int start = 0; start < set.Count; start += chunk)
        {
            int n = Math.Min(chunk, set.Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var f = new Tensor(n, set.Locations, set.FeatureDim);
            int[] q = new int[n * T], c = new int[n * 4], a = new int[n];
            set.Fill(idx, f, q, c, a);
            model.Forward(f, q, c).CopyTo(all.AsSpan(start * 4, n * 4));
            a.CopyTo(answers, start);
        }
        return FromScores(all, answers, [.. set.Items.Select(x => x.Question.Kind)]);
    }

    /// <summary>
    /// The score of a model's four answer scores per question (<paramref name="scores"/>, question i at 4i .. 4i + 3)
    /// given the right answers and the kinds of question: the mean cross-entropy of the softmax of the scores, and a
    /// question right when its highest score (the first on a tie) is the right answer's.
    /// </summary>
    public static VqaScore FromScores(ReadOnlySpan<float> scores, IReadOnlyList<int> answers, IReadOnlyList<QuestionKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(kinds);
        int count = answers.Count;
        if (scores.Length != count * 4 || kinds.Count != count)
            throw new ArgumentException($"{count} answers, {kinds.Count} kinds and {scores.Length} scores (4 a question).", nameof(scores));
        var byKind = Enum.GetValues<QuestionKind>().ToDictionary(k => k, _ => (Right: 0, Total: 0));
        double loss = 0;
        int right = 0;
        var p = new float[4];
        for (int i = 0; i < count; i++)
        {
            scores.Slice(i * 4, 4).CopyTo(p);
            Kernels.Softmax.InPlace(p);
            loss -= Math.Log(Math.Max(p[answers[i]], 1e-30f));
            bool ok = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.Slice(i * 4, 4)) == answers[i];
            var (r, t) = byKind[kinds[i]];
            byKind[kinds[i]] = (r + (ok ? 1 : 0), t + 1);
            if (ok) right++;
        }
        return new VqaScore(count == 0 ? double.NaN : loss / count, count == 0 ? double.NaN : (double)right / count, count, byKind);
    }
}

/// <summary>
/// Visual question answering on the trainer (<c>recur vqa train</c>): batches of questions (<see cref="EpochOrder"/>)
/// with their scenes' features; evaluation reports the validation loss and accuracy.
/// </summary>
public sealed class VqaTask : EpochTask
{
    private readonly Tensor _x;
    private readonly int[] _q, _c, _a;
    public VqaTask(TrainOptions options, VqaModel model, VqaDataset train, VqaDataset validation, Action<string, CheckpointProgress> writeModel, DataInfo data)
        : base(options, train?.Count ?? 0, writeModel, data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Locations != model.Config.Locations || train.FeatureDim != model.Config.FeatureDim)
            throw new ArgumentException($"the features are {train.Locations} x {train.FeatureDim} "
                + $"but the model reads {model.Config.Locations} x {model.Config.FeatureDim}.");
        Model = model; Train = train; Validation = validation;
        int B = options.BatchSize;
        _x = new Tensor(B, train.Locations, train.FeatureDim);
        _q = new int[B * SceneQuestions.MaxWords]; _c = new int[B * 4]; _a = new int[B];
    }
    public VqaModel Model { get; }
    public VqaDataset Train { get; }
    public VqaDataset Validation { get; }
    public override string Name => VqaCheckpoint.TaskName;
    public override ParameterStore Store => Model.Store;
    public override int Threads { get => Model.Threads; set => Model.Threads = value; }
    public override string ItemName => "q";
    public override string LossUnit => "nats";
    public override bool HasValidation => Validation.Count > 0;

    public override double TrainStep(Rng rng)
    {
        Train.Fill(Batches.Next(), _x, _q, _c, _a);
        return Model.TrainStep(_x, _q, _c, _a).Loss;
    }

    /// <summary>The validation figure that chooses <c>best/</c>: the share of questions answered wrong (1 - accuracy), the task's figure.</summary>
    public const string ErrorMetric = "error";

    /// <inheritdoc/>
    public override string BestBy => ErrorMetric;

    public override TaskMetrics Evaluate()
    {
        var s = VqaScore.Of(Model, Validation);
        return new TaskMetrics(s.Loss, new Dictionary<string, double> { [ErrorMetric] = 1 - s.Accuracy, ["accuracy"] = s.Accuracy });
    }

    public override string Describe()
    {
        var c = Model.Config;
        return string.Create(CultureInfo.InvariantCulture,
            $"{(c.Blind ? "question-only (blind) " : "")}VQA: LSTM {c.Hidden} over questions"
            + $"{(c.Blind ? "" : $", attention {c.AttentionDim} over {c.GridRows}x{c.GridCols} locations of {c.FeatureDim} features")}, "
            + $"fusion {c.Fusion}; {Store.Count:N0} parameters; train {Train.Count:N0} / val {Validation.Count:N0} questions; batch {Options.BatchSize}");
    }
}
