using Recur.Data;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// A text encoded for a character run: its vocabulary and its token ids (the whole text; the run splits it), and the text,
/// for a run whose vocabulary is another's (<see cref="CharSettings.Vocabulary"/>, a resumed run's).
/// </summary>
public sealed record CharText(Vocabulary Vocabulary, int[] Tokens, string Text = "")
{
    /// <summary>A text with the vocabulary of its own characters.</summary>
    public static CharText Of(string text)
    {
        var vocab = Vocabulary.FromText(text);
        return new CharText(vocab, vocab.Encode(text), text);
    }

    /// <summary>The tokens in <paramref name="vocabulary"/> (this text's own when it is the same; refused characters say which).</summary>
    public int[] TokensIn(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.SameAs(Vocabulary)) return Tokens;
        if (Text.Length == 0 && Tokens.Length > 0) throw new ArgumentException("the text was given as tokens of another vocabulary; give its characters.");
        return vocabulary.Encode(Text);
    }
}

/// <summary>What a character run takes beyond <see cref="TrainOptions"/>: weights to start from (<c>--init-from</c>), or none.</summary>
public sealed record CharSettings
{
    /// <summary>A model of the same architecture whose weights replace the initialisation.</summary>
    public CharModel? InitFrom { get; init; }

    /// <summary>The vocabulary of <see cref="InitFrom"/>, when it is not the text's own.</summary>
    public Vocabulary? Vocabulary { get; init; }
}
