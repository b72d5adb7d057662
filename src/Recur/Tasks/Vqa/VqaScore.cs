using Recur.Data.Scenes;
using Recur.Models.Vqa;

namespace Recur.Tasks.Vqa;

/// <summary>
/// A model's answers to a set of questions: the scores of each question's four choices <c>(N, 4)</c>, the right choices
/// <c>(N)</c> and where the model looked, its attention over the feature grid <c>(N, L)</c> (empty for the blind baseline).
/// </summary>
public sealed record VqaAnswers(float[] Scores, int[] Answers, float[] Attention, int Locations)
{
    /// <summary>Questions answered.</summary>
    public int Count => Answers.Length;

    /// <summary>The choice question <paramref name="i"/> picks: its highest score, the first on a tie.</summary>
    public int Chosen(int i) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(Scores.AsSpan(i * 4, 4));

    /// <summary>Whether question <paramref name="i"/> is answered right: its chosen choice is the right one.</summary>
    public bool IsRight(int i) => Chosen(i) == Answers[i];

    /// <summary>The attention of question <paramref name="i"/> over the grid <c>(L)</c>, empty without attention.</summary>
    public ReadOnlySpan<float> AttentionOf(int i) => Attention.Length == 0 ? [] : Attention.AsSpan(i * Locations, Locations);
}

/// <summary>What a VQA model scored on a set of questions: loss, accuracy, and accuracy per kind of question.</summary>
public sealed record VqaScore(double Loss, double Accuracy, int Questions, IReadOnlyDictionary<QuestionKind, (int Right, int Total)> ByKind)
{
    /// <summary>Scores <paramref name="model"/> on every question of <paramref name="set"/>, in batches of 512.</summary>
    public static VqaScore Of(VqaModel model, VqaDataset set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var answers = Answer(model, set);
        return FromScores(answers.Scores, answers.Answers, [.. set.Items.Select(x => x.Question.Kind)]);
    }

    /// <summary>
    /// The answers of <paramref name="model"/> to every question of <paramref name="set"/>, in batches of 512: the four
    /// choices' scores, the right choices and the attention over the grid.
    /// </summary>
    public static VqaAnswers Answer(VqaModel model, VqaDataset set)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        int T = SceneQuestions.MaxWords, L = set.Locations, chunk = 512;
        var all = new float[set.Count * 4];
        var answers = new int[set.Count];
        var attention = new float[model.Config.Blind ? 0 : set.Count * L]; // (N, L)
        for (int start = 0; start < set.Count; start += chunk)
        {
            int n = Math.Min(chunk, set.Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            var f = new Tensor(n, L, set.FeatureDim);
            int[] q = new int[n * T], c = new int[n * 4], a = new int[n];
            set.Fill(idx, f, q, c, a);
            model.Forward(f, q, c).CopyTo(all.AsSpan(start * 4, n * 4));
            if (attention.Length > 0) model.Attention[..(n * L)].CopyTo(attention.AsSpan(start * L, n * L));
            a.CopyTo(answers, start);
        }
        return new VqaAnswers(all, answers, attention, L);
    }

    /// <summary>
    /// The answers of an ensemble, <paramref name="models"/> reading the same features: each question's choice probabilities
    /// averaged over the members (their softmax over the four choices), given as scores by their logarithm, so that
    /// <see cref="FromScores"/> reads the averaged probabilities back; the attention is the first member's.
    /// </summary>
    public static VqaAnswers Answer(IReadOnlyList<VqaModel> models, VqaDataset set)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("an ensemble needs at least one model.", nameof(models));
        var first = Answer(models[0], set);
        if (models.Count == 1) return first;
        var mean = new float[first.Scores.Length]; // (N, 4)
        VqaModel.AverageChoices([first.Scores, .. models.Skip(1).Select(m => Answer(m, set).Scores)], first.Count, mean);
        return first with { Scores = mean };
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
