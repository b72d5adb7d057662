namespace Recur.Data.Scenes;

/// <summary>How two objects of a scene stand to each other.</summary>
public enum Relation { Above, Below, LeftOf, RightOf }

/// <summary>
/// The small grammar the scenes are captioned in, over the ten Fashion-MNIST class names:
/// <list type="bullet">
/// <item>a list of counted objects, <c>a coat</c>, <c>two shirts and a coat</c>, <c>a bag and a dress and a sandal</c>,
/// for scenes of one object, of two objects of the same class, and of three or four objects;</item>
/// <item>a relation, <c>a sneaker above a bag</c>, <c>a dress to the left of a sandal</c>, for two objects of different
/// classes: above/below when their rows differ, to the left of/to the right of when their columns do (a diagonal pair
/// has both).</item>
/// </list>
/// A scene's references are every caption the grammar allows that is true of it (every order of a list; both
/// directions of every true relation); its <see cref="Canonical"/> caption, the one models are trained on, lists groups
/// in reading order of their first object and states a pair's vertical relation from the upper object when there is
/// one, else the horizontal one from the left object.
/// </summary>
public static class CaptionGrammar
{
    /// <summary>The caption words of the classes, singular, by class id.</summary>
    public static IReadOnlyList<string> Singular { get; } = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

    /// <summary>The plural words, by class id.</summary>
    public static IReadOnlyList<string> Plural { get; } =
        ["t-shirts", "trousers", "pullovers", "dresses", "coats", "sandals", "shirts", "sneakers", "bags", "boots"];

    /// <summary>Count words: index 1..4.</summary>
    public static IReadOnlyList<string> Counts { get; } = ["", "a", "two", "three", "four"];

    /// <summary>Every word the grammar uses, in a fixed order.</summary>
    public static IReadOnlyList<string> Words { get; } =
        [.. Counts.Skip(1), "and", "above", "below", "to", "the", "left", "right", "of", .. Singular, .. Plural];

    /// <summary>The words of a relation.</summary>
    public static string Phrase(Relation r) => r switch
    {
        Relation.Above => "above",
        Relation.Below => "below",
        Relation.LeftOf => "to the left of",
        _ => "to the right of",
    };

    /// <summary>The relations that hold from <paramref name="a"/> to <paramref name="b"/> (cells of <paramref name="scene"/>).</summary>
    public static IEnumerable<Relation> Holding(Scene scene, int a, int b)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int ra = scene.RowOf(a), rb = scene.RowOf(b), ca = scene.ColumnOf(a), cb = scene.ColumnOf(b);
        if (ra < rb) yield return Relation.Above;
        if (ra > rb) yield return Relation.Below;
        if (ca < cb) yield return Relation.LeftOf;
        if (ca > cb) yield return Relation.RightOf;
    }

    /// <summary>True when the scene is captioned with a relation: exactly two objects, of different classes.</summary>
    public static bool IsRelational(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return scene.Items.Count == 2 && scene.Items[0].Class != scene.Items[1].Class;
    }

    /// <summary>The caption models are trained on (see the class summary).</summary>
    public static string Canonical(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (IsRelational(scene))
        {
            var items = scene.Items.OrderBy(i => i.Cell).ToArray();
            var (x, y) = (items[0], items[1]);
            var r = Holding(scene, x.Cell, y.Cell).First(); // in reading order the first is above the second, or left of it
            return $"a {Singular[x.Class]} {Phrase(r)} a {Singular[y.Class]}";
        }
        return List(Groups(scene));
    }

    /// <summary>Every caption of the grammar that is true of the scene, the canonical one first.</summary>
    public static IReadOnlyList<string> References(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var refs = new List<string> { Canonical(scene) };
        if (IsRelational(scene))
        {
            foreach (var (x, y) in new[] { (scene.Items[0], scene.Items[1]), (scene.Items[1], scene.Items[0]) })
                foreach (var r in Holding(scene, x.Cell, y.Cell))
                    refs.Add($"a {Singular[x.Class]} {Phrase(r)} a {Singular[y.Class]}");
        }
        else
        {
            foreach (var order in Permutations(Groups(scene))) refs.Add(List(order));
        }
        return refs.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>(class, count) groups in reading order of each class's first object.</summary>
    public static IReadOnlyList<(int Class, int Count)> Groups(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return scene.Items.OrderBy(i => i.Cell).GroupBy(i => i.Class).Select(g => (g.Key, g.Count())).ToArray();
    }

    /// <summary>The phrase of one group: <c>a coat</c>, <c>two shirts</c>.</summary>
    public static string Group(int cls, int count) => count == 1 ? $"a {Singular[cls]}" : $"{Counts[count]} {Plural[cls]}";

    private static string List(IEnumerable<(int Class, int Count)> groups) => string.Join(" and ", groups.Select(g => Group(g.Class, g.Count)));

    private static IEnumerable<IReadOnlyList<T>> Permutations<T>(IReadOnlyList<T> items)
    {
        if (items.Count <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Count; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest)) yield return [items[i], .. p];
        }
    }
}
