namespace Recur.Data.Scenes;

/// <summary>The three kinds of question asked about a scene.</summary>
public enum QuestionKind { Count, Relation, Position }

/// <summary>A multiple-choice question about a scene: its words, four answers and which is right.</summary>
/// <param name="Text">The question, words separated by spaces (<c>what is left of the bag ?</c>).</param>
/// <param name="Choices">Four answer words, one of them right.</param>
/// <param name="Answer">Index of the right one in <paramref name="Choices"/>.</param>
/// <param name="Kind">Counting, a spatial relation, or what sits in a named cell.</param>
public sealed record SceneQuestion(string Text, IReadOnlyList<string> Choices, int Answer, QuestionKind Kind);

/// <summary>
/// Questions about the scenes with four answers each (the lectures' visual question answering):
/// <list type="bullet">
/// <item>counting, <c>how many shirts are there ?</c>, of a class in the scene, answers among one .. four;</item>
/// <item>a relation, <c>what is left of the bag ?</c> (also right of, above, below), asked of a two-object scene of
/// different classes where exactly one object stands so, answered by a class;</item>
/// <item>a position, <c>what is in the top left ?</c>, of an occupied cell, answered by a class.</item>
/// </list>
/// The wrong answers are drawn from the same kind (other counts; other classes, never the one the question names), and
/// the right answer's place among the four is uniform, so nothing but the image tells the answer apart beyond the
/// priors a question alone carries (which the question-only baseline measures).
/// </summary>
public static class SceneQuestions
{
    /// <summary>Count words, 1 .. 4.</summary>
    public static IReadOnlyList<string> CountWords { get; } = ["one", "two", "three", "four"];

    /// <summary>Cell names of the 3 x 3 grid, row-major.</summary>
    public static IReadOnlyList<string> CellNames { get; } =
        ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"];

    /// <summary>Every answer: the class words, then the count words.</summary>
    public static IReadOnlyList<string> Answers { get; } = [.. CaptionGrammar.Singular, .. CountWords];

    /// <summary>Every word a question uses.</summary>
    public static IReadOnlyList<string> Words { get; } =
        ["what", "is", "how", "many", "are", "there", "?", "left", "right", "of", "the", "above", "below", "in", "top", "bottom", "center",
            .. CaptionGrammar.Singular, .. CaptionGrammar.Plural];

    /// <summary>Longest question in words.</summary>
    public const int MaxWords = 8;

    /// <summary>One question about <paramref name="scene"/>, of a kind drawn from those the scene allows.</summary>
    public static SceneQuestion Ask(Scene scene, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(rng);
        var kinds = new List<QuestionKind> { QuestionKind.Count, QuestionKind.Position };
        if (CaptionGrammar.IsRelational(scene)) kinds.Add(QuestionKind.Relation);
        var kind = kinds[rng.NextInt(kinds.Count)];
        // Relational scenes are asked about their relation half the time: held-out compositions are such scenes.
        if (CaptionGrammar.IsRelational(scene) && rng.NextInt(2) == 0) kind = QuestionKind.Relation;
        return kind switch
        {
            QuestionKind.Count => Count(scene, rng),
            QuestionKind.Position => Position(scene, rng),
            _ => Relation(scene, rng),
        };
    }

    private static SceneQuestion Count(Scene scene, Rng rng)
    {
        var classes = scene.Items.Select(i => i.Class).Distinct().ToArray();
        int cls = classes[rng.NextInt(classes.Length)];
        int n = scene.Items.Count(i => i.Class == cls);
        return Choose($"how many {CaptionGrammar.Plural[cls]} are there ?", CountWords[n - 1], CountWords.Where(w => w != CountWords[n - 1]).ToArray(),
            QuestionKind.Count, rng);
    }

    private static SceneQuestion Position(Scene scene, Rng rng)
    {
        var item = scene.Items[rng.NextInt(scene.Items.Count)];
        string right = CaptionGrammar.Singular[item.Class];
        return Choose($"what is in the {CellNames[item.Cell]} ?", right, CaptionGrammar.Singular.Where(w => w != right).ToArray(), QuestionKind.Position, rng);
    }

    private static SceneQuestion Relation(Scene scene, Rng rng)
    {
        var (a, b) = rng.NextInt(2) == 0 ? (scene.Items[0], scene.Items[1]) : (scene.Items[1], scene.Items[0]);
        var holding = CaptionGrammar.Holding(scene, a.Cell, b.Cell).ToArray();
        var r = holding[rng.NextInt(holding.Length)];
        string phrase = r switch
        {
            Data.Scenes.Relation.Above => "above", Data.Scenes.Relation.Below => "below", Data.Scenes.Relation.LeftOf => "left of", _ => "right of"
        };
        string right = CaptionGrammar.Singular[a.Class], named = CaptionGrammar.Singular[b.Class];
        return Choose($"what is {phrase} the {named} ?", right, CaptionGrammar.Singular.Where(w => w != right && w != named).ToArray(),
            QuestionKind.Relation, rng);
    }

    private static SceneQuestion Choose(string text, string right, string[] wrong, QuestionKind kind, Rng rng)
    {
        for (int i = wrong.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (wrong[i], wrong[j]) = (wrong[j], wrong[i]); }
        int at = rng.NextInt(4);
        var choices = new string[4];
        for (int i = 0, w = 0; i < 4; i++) choices[i] = i == at ? right : wrong[w++];
        return new SceneQuestion(text, choices, at, kind);
    }

    /// <summary>The right answer to <paramref name="question"/> about <paramref name="scene"/>, worked out again from the scene (for checks).</summary>
    public static string? Truth(Scene scene, string question)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(question);
        var w = question.Split(' ');
        if (w.Length >= 3 && w[0] == "how")
        {
            int cls = CaptionGrammar.Plural.ToList().IndexOf(w[2]);
            int n = scene.Items.Count(i => i.Class == cls);
            return n is >= 1 and <= 4 ? CountWords[n - 1] : null;
        }
        if (question.StartsWith("what is in the ", StringComparison.Ordinal))
        {
            int cell = CellNames.ToList().IndexOf(question["what is in the ".Length..^2]);
            return cell >= 0 && scene.At(cell) is { } it ? CaptionGrammar.Singular[it.Class] : null;
        }
        string named = w[^2];
        int namedClass = CaptionGrammar.Singular.ToList().IndexOf(named);
        var rel = w[2] switch
        {
            "above" => Data.Scenes.Relation.Above, "below" => Data.Scenes.Relation.Below, "left" => Data.Scenes.Relation.LeftOf,
            _ => Data.Scenes.Relation.RightOf
        };
        var target = scene.Items.Where(i => i.Class == namedClass).ToArray();
        if (target.Length != 1) return null;
        var hits = scene.Items.Where(i => i.Cell != target[0].Cell && CaptionGrammar.Holding(scene, i.Cell, target[0].Cell).Contains(rel)).ToArray();
        return hits.Length == 1 ? CaptionGrammar.Singular[hits[0].Class] : null;
    }
}
