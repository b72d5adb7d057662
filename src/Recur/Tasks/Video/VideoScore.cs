using Recur.Data.Video;
using Recur.Models.Video;

namespace Recur.Tasks.Video;

/// <summary>
/// What a video model scored on a set of clips: the loss, the action accuracy (and per action), and the per-frame
/// visibility as micro-averaged F1 over every (frame, class), a class predicted visible when its logit is above 0
/// (probability above one half).
/// </summary>
public sealed record VideoScore(double Loss, double ActionAccuracy, double VisibleF1, double VisiblePrecision, double VisibleRecall, int Clips,
    IReadOnlyList<(int Right, int Total)> ByAction)
{
    /// <summary>Scores <paramref name="model"/> on every clip of <paramref name="set"/>, in batches of 256.</summary>
    public static VideoScore Of(VideoClassifier model, VideoDataset set)
    {
        var (actionLogits, visibleLogits) = Logits(model, set);
        return FromLogits(actionLogits, set.Actions, visibleLogits, set.Visible, set.Frames, model.Config.Actions);
    }

    /// <summary>
    /// The logits of <paramref name="model"/> on every clip of <paramref name="set"/>, in batches of 256: the actions'
    /// <c>(N, A)</c> and the visibility's <c>(N, T, C)</c> (clip-major, as <see cref="VideoDataset.Visible"/>).
    /// </summary>
    public static (float[] ActionLogits, float[] VisibleLogits) Logits(VideoClassifier model, VideoDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int N = set.Count, T = set.Frames, C = set.Classes, A = model.Config.Actions, chunk = 256;
        var actionLogits = new float[N * A];      // (N, A)
        var visibleLogits = new float[N * T * C]; // (N, T, C)
        for (int start = 0; start < N; start += chunk)
        {
            int n = Math.Min(chunk, N - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var x = new Tensor(T, n, set.FeatureDim);
            set.Fill(idx, x, new int[n], new float[T * n * C]);
            var (act, vis) = model.Forward(x);
            act.Data.AsSpan(0, n * A).CopyTo(actionLogits.AsSpan(start * A));
            // (T, n, C) time-major back to (n, T, C)
            for (int t = 0; t < T; t++)
                for (int b = 0; b < n; b++)
                    vis.Data.AsSpan((t * n + b) * C, C).CopyTo(visibleLogits.AsSpan(((start + b) * T + t) * C, C));
        }
        return (actionLogits, visibleLogits);
    }

    /// <summary>
    /// The score of logits: <paramref name="actionLogits"/> <c>(N, A)</c> against <paramref name="actions"/> <c>(N)</c> (the
    /// highest logit, the first on a tie, is the prediction), <paramref name="visibleLogits"/> against
    /// <paramref name="visible"/> <c>(N, T, C)</c>. The loss is the training loss: mean cross-entropy of the actions plus the
    /// binary cross-entropy summed over classes and averaged over the <c>N T</c> frames.
    /// </summary>
    public static VideoScore FromLogits(ReadOnlySpan<float> actionLogits, IReadOnlyList<int> actions, ReadOnlySpan<float> visibleLogits,
        ReadOnlySpan<float> visible, int frames, int actionCount)
    {
        ArgumentNullException.ThrowIfNull(actions);
        int N = actions.Count;
        if (actionLogits.Length != N * actionCount || visibleLogits.Length != visible.Length || N == 0 || visible.Length % (N * frames) != 0)
            throw new ArgumentException($"{N} clips: {actionLogits.Length} action logits, {visibleLogits.Length} visibility logits, {visible.Length} labels.");
        double ce = Nn.SoftmaxCrossEntropy.Loss<float>(actionLogits, N, actionCount, actions.ToArray());
        double bce = VideoClassifier.SigmoidCrossEntropy(visibleLogits, visible, N * frames, []);
        var byAction = new (int Right, int Total)[actionCount];
        int right = 0;
        for (int i = 0; i < N; i++)
        {
            bool ok = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(actionLogits.Slice(i * actionCount, actionCount)) == actions[i];
            byAction[actions[i]] = (byAction[actions[i]].Right + (ok ? 1 : 0), byAction[actions[i]].Total + 1);
            if (ok) right++;
        }
        long tp = 0, fp = 0, fn = 0;
        for (int k = 0; k < visible.Length; k++)
        {
            bool predicted = visibleLogits[k] > 0, truth = visible[k] > 0.5f;
            if (predicted && truth) tp++;
            else if (predicted) fp++;
            else if (truth) fn++;
        }
        double precision = tp + fp == 0 ? 1 : (double)tp / (tp + fp), recall = tp + fn == 0 ? 1 : (double)tp / (tp + fn);
        double f1 = tp == 0 ? (fp + fn == 0 ? 1 : 0) : 2.0 * tp / (2 * tp + fp + fn);
        return new VideoScore(ce + bce, (double)right / N, f1, precision, recall, N, byAction);
    }

    /// <summary>Accuracy on the clips of <paramref name="action"/> (NaN when there are none).</summary>
    public double AccuracyOf(VideoAction action)
    {
        var (r, t) = ByAction[(int)action];
        return t == 0 ? double.NaN : (double)r / t;
    }
}
