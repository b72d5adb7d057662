using System.Numerics.Tensors;
using Recur.Data.Dialog;
using Recur.Models.Dialog;

namespace Recur.Tasks.Dialog;

/// <summary>
/// What a dialog model scored on a set of dialogs: the mean cross-entropy per round, accuracy over every round, on the rounds
/// that need the history and on the others, per round index and per kind of question.
/// </summary>
public sealed record DialogScore(
    double Loss, double Accuracy, int Rounds, (int Right, int Total) NeedsHistory, (int Right, int Total) Others,
    IReadOnlyList<(int Right, int Total)> ByRound, IReadOnlyDictionary<DialogQuestionKind, (int Right, int Total)> ByKind)
{
    /// <summary>Accuracy on the rounds that need the history (NaN when there are none).</summary>
    public double HistoryAccuracy => Ratio(NeedsHistory);

    /// <summary>Accuracy on the rounds that do not.</summary>
    public double OtherAccuracy => Ratio(Others);

    /// <summary>Right / total, NaN for no rounds.</summary>
    public static double Ratio((int Right, int Total) c) => c.Total == 0 ? double.NaN : (double)c.Right / c.Total;

    /// <summary>Scores <paramref name="model"/> on every round of every dialog of <paramref name="set"/>, 256 dialogs at a time.</summary>
    public static DialogScore Of(DialogModel model, DialogDataset set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Of(Answer(model, set), set);
    }

    /// <summary>The score of the answers <paramref name="answered"/> gave to the dialogs of <paramref name="set"/>.</summary>
    public static DialogScore Of(DialogAnswers answered, DialogDataset set)
    {
        ArgumentNullException.ThrowIfNull(answered);
        ArgumentNullException.ThrowIfNull(set);
        var rounds = set.Dialogs.SelectMany(d => d.Rounds).ToArray();
        return FromScores(answered.Scores, answered.Answers, [.. rounds.Select(r => r.NeedsHistory)], [.. rounds.Select(r => r.Kind)], set.Rounds);
    }

    /// <summary>
    /// The answers of <paramref name="model"/> to every round of every dialog of <paramref name="set"/>, 256 dialogs at a
    /// time: every answer's score, the right answers and each round's attention over the grid.
    /// </summary>
    public static DialogAnswers Answer(DialogModel model, DialogDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int R = set.Rounds, T = DialogWords.MaxWords, A = model.Config.Answers, L = set.Locations, chunk = 256;
        var all = new float[set.Count * R * A];
        var answers = new int[set.Count * R];
        bool attends = !model.Config.Blind, twice = attends && model.Config.Hops == 2;
        float[] first = new float[attends ? set.Count * R * L : 0], second = new float[twice ? set.Count * R * L : 0]; // (N, R, L)
        for (int start = 0; start < set.Count; start += chunk)
        {
            int n = Math.Min(chunk, set.Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var f = new Tensor(n, L, set.FeatureDim);
            int[] q = new int[n * R * T], a = new int[n * R];
            set.Fill(idx, f, q, a);
            model.Forward(f, q, a).CopyTo(all.AsSpan(start * R * A, n * R * A));
            a.CopyTo(answers, start * R);
            for (int r = 0; r < R; r++)
                for (int b = 0; b < n; b++)
                {
                    int to = ((start + b) * R + r) * L;
                    if (attends) model.Attention(r, 1).Slice(b * L, L).CopyTo(first.AsSpan(to, L));
                    if (twice) model.Attention(r, 2).Slice(b * L, L).CopyTo(second.AsSpan(to, L));
                }
        }
        return new DialogAnswers(all, answers, R, first, second, L);
    }

    /// <summary>
    /// The score of a model's answer scores, <paramref name="scores"/> <c>(dialogs, R, A)</c>, given the right answers <c>(dialogs,
    /// R)</c>, each round's history-needing mark and kind: the mean over rounds of <c>-ln softmax(scores)[answer]</c>, and a round
    /// right when its highest score (the first on a tie) is the right answer's.
    /// </summary>
    public static DialogScore FromScores(ReadOnlySpan<float> scores, IReadOnlyList<int> answers, IReadOnlyList<bool> needsHistory,
        IReadOnlyList<DialogQuestionKind> kinds, int rounds)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(needsHistory);
        ArgumentNullException.ThrowIfNull(kinds);
        int n = answers.Count;
        if (rounds < 1 || n % rounds != 0 || needsHistory.Count != n || kinds.Count != n || (n > 0 && scores.Length % n != 0) || (n == 0 && scores.Length != 0))
            throw new ArgumentException(
                $"{n} answers, {needsHistory.Count} marks, {kinds.Count} kinds and {scores.Length} scores for dialogs of {rounds} rounds.");
        int A = n == 0 ? 0 : scores.Length / n;
        var byRound = new (int Right, int Total)[rounds];
        var byKind = Enum.GetValues<DialogQuestionKind>().ToDictionary(k => k, _ => (Right: 0, Total: 0));
        (int Right, int Total) history = (0, 0), others = (0, 0);
        double loss = 0;
        int right = 0;
        var p = new float[A];
        for (int i = 0; i < n; i++)
        {
            var row = scores.Slice(i * A, A);
            row.CopyTo(p);
            Kernels.Softmax.InPlace(p);
            loss -= Math.Log(Math.Max(p[answers[i]], 1e-30f));
            int ok = TensorPrimitives.IndexOfMax(row) == answers[i] ? 1 : 0;
            right += ok;
            int r = i % rounds;
            byRound[r] = (byRound[r].Right + ok, byRound[r].Total + 1);
            var k = byKind[kinds[i]];
            byKind[kinds[i]] = (k.Right + ok, k.Total + 1);
            if (needsHistory[i]) history = (history.Right + ok, history.Total + 1);
            else others = (others.Right + ok, others.Total + 1);
        }
        return new DialogScore(n == 0 ? double.NaN : loss / n, n == 0 ? double.NaN : (double)right / n, n, history, others, byRound, byKind);
    }

    /// <summary>The score of <paramref name="a"/>'s rounds and <paramref name="b"/>'s together (dialogs of the same length).</summary>
    public static DialogScore Merge(DialogScore a, DialogScore b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rounds == 0) return b;
        if (b.Rounds == 0) return a;
        if (a.ByRound.Count != b.ByRound.Count) throw new ArgumentException($"dialogs of {a.ByRound.Count} and {b.ByRound.Count} rounds.");
        static (int, int) Add((int Right, int Total) x, (int Right, int Total) y) => (x.Right + y.Right, x.Total + y.Total);
        int n = a.Rounds + b.Rounds;
        var byKind = a.ByKind.Keys.ToDictionary(k => k, k => Add(a.ByKind[k], b.ByKind[k]));
        int right = a.NeedsHistory.Right + a.Others.Right + b.NeedsHistory.Right + b.Others.Right;
        return new DialogScore((a.Loss * a.Rounds + b.Loss * b.Rounds) / n, (double)right / n, n,
            Add(a.NeedsHistory, b.NeedsHistory), Add(a.Others, b.Others), [.. a.ByRound.Zip(b.ByRound, Add)], byKind);
    }
}
