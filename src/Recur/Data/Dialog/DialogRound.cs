namespace Recur.Data.Dialog;

/// <summary>What a dialog question asks (<see cref="DialogGenerator"/> lists the templates).</summary>
public enum DialogQuestionKind
{
    /// <summary><c>is there a bag ?</c>: yes or no.</summary>
    Exists,

    /// <summary><c>what is in the top left ?</c>: a class or nothing.</summary>
    Position,

    /// <summary><c>how many shirts are there ?</c>: zero to four.</summary>
    Count,

    /// <summary><c>what is above the bag ?</c> of a class the scene holds once: the class in the cell next to it that way, or nothing.</summary>
    Relation,

    /// <summary><c>what is above it ?</c>: the same of the object "it" refers to.</summary>
    PronounRelation,

    /// <summary><c>and below ?</c>: the last relation question again, another way from the same object.</summary>
    EllipsisRelation,

    /// <summary><c>where is it ?</c>: the cell of the object "it" refers to.</summary>
    Where,

    /// <summary><c>where is the other one ?</c>: the cell of the other object of the class "it" has, when the scene holds two.</summary>
    OtherOne,

    /// <summary><c>how many ?</c> after <c>is there a bag ? yes</c>: how many of that class.</summary>
    HowMany,

    /// <summary><c>and bags ?</c> after a counting question: how many of that class.</summary>
    CountEllipsis,

    /// <summary><c>and a bag ?</c> after <c>is there a shirt ?</c>: yes or no.</summary>
    ExistsEllipsis,
}

/// <summary>
/// One round of a dialog: the question (words separated by spaces), its answer (one of <see cref="DialogWords.Answers"/>),
/// what it asks, and whether it needs the history: true when its answer cannot be known from the question and the image
/// alone, because the things the scene allows its references ("it", an ellipsis) to stand for give different answers.
/// </summary>
public sealed record DialogRound(string Question, string Answer, DialogQuestionKind Kind, bool NeedsHistory);

/// <summary>A dialog about scene <paramref name="Scene"/> (an index into its split): its rounds in order.</summary>
public sealed record SceneDialog(int Scene, IReadOnlyList<DialogRound> Rounds);
