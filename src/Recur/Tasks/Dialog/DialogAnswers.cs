using System.Numerics.Tensors;

namespace Recur.Tasks.Dialog;

/// <summary>
/// A dialog model's answers to every round of a set of dialogs: the scores of every answer <c>(N, R, A)</c>, the right
/// answers <c>(N, R)</c>, and where each round looked, the attention over the feature grid of the first hop and, for a
/// two-hop model, of the second <c>(N, R, L)</c> each (empty for the blind baseline, and the second without a second hop).
/// </summary>
public sealed record DialogAnswers(float[] Scores, int[] Answers, int Rounds, float[] Attention, float[] SecondHop, int Locations)
{
    /// <summary>Dialogs answered.</summary>
    public int Count => Answers.Length / Rounds;

    /// <summary>Answers a round chooses from.</summary>
    public int Choices => Answers.Length == 0 ? 0 : Scores.Length / Answers.Length;

    /// <summary>The answer round <paramref name="round"/> of dialog <paramref name="dialog"/> gives: its highest score, the first on a tie.</summary>
    public int Chosen(int dialog, int round)
        => TensorPrimitives.IndexOfMax(Scores.AsSpan((dialog * Rounds + round) * Choices, Choices));

    /// <summary>Whether round <paramref name="round"/> of dialog <paramref name="dialog"/> is answered right.</summary>
    public bool IsRight(int dialog, int round) => Chosen(dialog, round) == Answers[dialog * Rounds + round];

    /// <summary>The attention <c>(L)</c> of a round in hop 1 or 2, empty when the model has no such hop.</summary>
    public ReadOnlySpan<float> AttentionOf(int dialog, int round, int hop = 1)
    {
        var a = hop == 2 ? SecondHop : Attention;
        return a.Length == 0 ? [] : a.AsSpan((dialog * Rounds + round) * Locations, Locations);
    }
}
