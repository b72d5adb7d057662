using Recur.Data.Scenes;

namespace Recur.Data.Dialog;

/// <summary>
/// The words of the dialogs: the answers (a closed set, as VQA's), the words questions use, and the grid's geometry
/// the relations read: <c>above</c>, <c>below</c>, <c>left of</c>, <c>right of</c> name the cell next to an object
/// that way (directly above: same column, one row up), not any cell further along.
/// </summary>
public static class DialogWords
{
    /// <summary>Count answers, zero to four.</summary>
    public static IReadOnlyList<string> Counts { get; } = ["zero", "one", "two", "three", "four"];

    /// <summary>Every answer: yes, no, nothing, the counts, the class words, the cell names.</summary>
    public static IReadOnlyList<string> Answers { get; } =
        ["yes", "no", "nothing", .. Counts, .. CaptionGrammar.Singular, .. SceneQuestions.CellNames];

    /// <summary>Every word a question uses.</summary>
    public static IReadOnlyList<string> Words { get; } =
    [
        "is", "there", "a", "what", "in", "the", "how", "many", "are", "?", "above", "below", "left", "right", "of", "to", "it", "and",
        "where", "other", "one", "top", "bottom", "center", .. CaptionGrammar.Singular, .. CaptionGrammar.Plural,
    ];

    /// <summary>Longest question in words (<c>where is the other one ?</c>, <c>what is in the bottom right ?</c>).</summary>
    public const int MaxWords = 7;

    /// <summary>The words of a relation in a question: <c>above</c>, <c>below</c>, <c>left of</c>, <c>right of</c>.</summary>
    public static string Phrase(Relation r) => r switch
    {
        Relation.Above => "above",
        Relation.Below => "below",
        Relation.LeftOf => "left of",
        _ => "right of",
    };

    /// <summary>The words of a relation in an ellipsis (<c>and to the left ?</c>).</summary>
    public static string EllipsisPhrase(Relation r) => r switch
    {
        Relation.Above => "above",
        Relation.Below => "below",
        Relation.LeftOf => "to the left",
        _ => "to the right",
    };

    /// <summary>The cell next to <paramref name="cell"/> the way <paramref name="r"/> says, or -1 off the grid.</summary>
    public static int Neighbour(int cell, Relation r, int side = Scene.DefaultGridSide)
    {
        int row = cell / side, col = cell % side;
        (row, col) = r switch
        {
            Relation.Above => (row - 1, col),
            Relation.Below => (row + 1, col),
            Relation.LeftOf => (row, col - 1),
            _ => (row, col + 1),
        };
        return row < 0 || col < 0 || row >= side || col >= side ? -1 : row * side + col;
    }

    /// <summary>What stands next to <paramref name="cell"/> the way <paramref name="r"/> says: its class word, or <c>nothing</c>.</summary>
    public static string Next(Scene scene, int cell, Relation r)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int n = Neighbour(cell, r, scene.GridSide);
        return n >= 0 && scene.At(n) is { } item ? CaptionGrammar.Singular[item.Class] : "nothing";
    }

    /// <summary>How many objects of class <paramref name="cls"/> the scene holds, as an answer word.</summary>
    public static string CountOf(Scene scene, int cls)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return Counts[scene.Items.Count(i => i.Class == cls)];
    }
}
