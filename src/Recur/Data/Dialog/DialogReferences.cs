using Recur.Data.Scenes;

namespace Recur.Data.Dialog;

/// <summary>
/// What a question's references can stand for, and so whether a round needs the history: a round needs it when the
/// readings of its references that the question and the scene allow give more than one answer. "It" in <c>what is above it
/// ?</c> (or the object an ellipsis <c>and below ?</c> continues from) can be any object with a cell that way on the grid
/// (the dialogs never ask off the grid); in <c>where is it ?</c> any object; in <c>where is the other one ?</c> any object
/// whose class the scene holds twice; <c>how many ?</c> follows a "yes" to <c>is there a X ?</c>, so it can count any class
/// the scene holds. The other questions name everything they ask about: one reading.
/// </summary>
public static class DialogReferences
{
    /// <summary>
    /// The answers of the readings of a question of <paramref name="kind"/> (with relation <paramref name="relation"/> for the
    /// relational kinds) about <paramref name="scene"/>, distinct, or null for a kind that names everything it asks about.
    /// </summary>
    public static IReadOnlySet<string>? Readings(Scene scene, DialogQuestionKind kind, Relation relation = Relation.Above)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var cells = SceneQuestions.CellNames;
        return kind switch
        {
            DialogQuestionKind.PronounRelation or DialogQuestionKind.EllipsisRelation => scene.Items
                .Where(i => DialogWords.Neighbour(i.Cell, relation, scene.GridSide) >= 0)
                .Select(i => DialogWords.Next(scene, i.Cell, relation)).ToHashSet(StringComparer.Ordinal),
            DialogQuestionKind.Where => scene.Items.Select(i => cells[i.Cell]).ToHashSet(StringComparer.Ordinal),
            DialogQuestionKind.OtherOne => scene.Items.Where(i => scene.Items.Count(j => j.Class == i.Class) == 2)
                .Select(i => cells[Other(scene, i.Cell)]).ToHashSet(StringComparer.Ordinal),
            DialogQuestionKind.HowMany => scene.Items.Select(i => DialogWords.CountOf(scene, i.Class)).ToHashSet(StringComparer.Ordinal),
            _ => null,
        };
    }

    /// <summary>True when a question of <paramref name="kind"/> about <paramref name="scene"/> has readings with different answers.</summary>
    public static bool NeedsHistory(Scene scene, DialogQuestionKind kind, Relation relation = Relation.Above)
        => Readings(scene, kind, relation) is { Count: > 1 };

    /// <summary>The cell of the other object of the class in <paramref name="cell"/> (the scene holds exactly two of it).</summary>
    public static int Other(Scene scene, int cell)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int cls = scene.At(cell)?.Class ?? throw new ArgumentException($"cell {cell} is empty.", nameof(cell));
        var others = scene.Items.Where(i => i.Class == cls && i.Cell != cell).ToArray();
        if (others.Length != 1) throw new ArgumentException($"the scene holds {others.Length + 1} objects of class {cls}, not two.", nameof(cell));
        return others[0].Cell;
    }
}
