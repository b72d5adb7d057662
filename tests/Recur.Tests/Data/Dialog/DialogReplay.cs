using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Xunit;

namespace Recur.Tests.Data.Dialog;

/// <summary>
/// An interpreter of dialog text, written apart from <see cref="DialogGenerator"/> from the rules its documentation states:
/// it parses each question, resolves "it" and ellipses from what the dialog so far said, answers from the scene, and says
/// whether the question alone could be answered (every object the reference could stand for gives the same answer). It
/// also checks that the question was allowed where it was asked.
/// </summary>
internal sealed class DialogReplay(Scene scene)
{
    private static readonly string[] Cells = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"];
    private static readonly string[] Classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];
    private static readonly string[] Plurals = ["t-shirts", "trousers", "pullovers", "dresses", "coats", "sandals", "shirts", "sneakers", "bags", "boots"];
    private static readonly string[] Numbers = ["zero", "one", "two", "three", "four"];
    private int? _it;
    private string _frame = "";  // "", "exists", "exists-yes", "count", "relation"
    private int _class;

    private int Count(int cls) => scene.Items.Count(i => i.Class == cls);

    private string ClassIn(int cell) => scene.At(cell) is { } i ? Classes[i.Class] : "nothing";

    /// <summary>(row, column) step of a direction word.</summary>
    private static (int, int) Step(string dir)
        => dir switch { "above" => (-1, 0), "below" => (1, 0), "left" => (0, -1), "right" => (0, 1), _ => throw new ArgumentException(dir) };

    /// <summary>The cell one step <paramref name="dir"/> of <paramref name="cell"/>, or -1 off the grid.</summary>
    private static int Beside(int cell, string dir)
    {
        var (dr, dc) = Step(dir);
        int r = cell / 3 + dr, c = cell % 3 + dc;
        return r is < 0 or > 2 || c is < 0 or > 2 ? -1 : r * 3 + c;
    }

    private (string, bool) Relate(int anchor, string dir)
    {
        int cell = Beside(anchor, dir);
        Assert.True(cell >= 0, $"asked {dir} of cell {anchor}, off the grid");
        _frame = "relation";
        var readings = scene.Items.Where(i => Beside(i.Cell, dir) >= 0).Select(i => ClassIn(Beside(i.Cell, dir))).Distinct().Count();
        return (ClassIn(cell), readings > 1);
    }

    private (string, bool) Exists(int cls)
    {
        int n = Count(cls);
        _frame = n > 0 ? "exists-yes" : "exists";
        _class = cls;
        _it = n == 1 ? scene.Items.Single(i => i.Class == cls).Cell : null;
        return (n > 0 ? "yes" : "no", false);
    }

    private (string, bool) CountOf(int cls)
    {
        int n = Count(cls);
        _frame = "count";
        _class = cls;
        _it = n == 1 ? scene.Items.Single(i => i.Class == cls).Cell : null;
        return (Numbers[n], false);
    }

    /// <summary>The answer to <paramref name="question"/> at this point of the dialog, and whether it needs the history.</summary>
    public (string Answer, bool NeedsHistory) Ask(string question)
    {
        var w = question.Split(' ');
        string dirWord = w.Length > 2 ? w[2] : "";
        switch (question)
        {
            case var _ when question.StartsWith("is there a ", StringComparison.Ordinal):
                return Exists(Array.IndexOf(Classes, w[3]));
            case var _ when question.StartsWith("and a ", StringComparison.Ordinal):
                Assert.StartsWith("exists", _frame);
                return Exists(Array.IndexOf(Classes, w[2]));
            case "how many ?":
                Assert.Equal("exists-yes", _frame);
                _frame = "count";
                return (Numbers[Count(_class)], scene.Items.Select(i => Count(i.Class)).Distinct().Count() > 1);
            case var _ when question.StartsWith("how many ", StringComparison.Ordinal):
                return CountOf(Array.IndexOf(Plurals, w[2]));
            case var _ when w[0] == "and" && Array.IndexOf(Plurals, w[1]) >= 0:
                Assert.Equal("count", _frame);
                return CountOf(Array.IndexOf(Plurals, w[1]));
            case var _ when question.StartsWith("what is in the ", StringComparison.Ordinal):
            {
                int cell = Array.IndexOf(Cells, string.Join(' ', w[4..^1]));
                _it = scene.At(cell) is null ? null : cell;
                _frame = "";
                return (ClassIn(cell), false);
            }
            case var _ when w[0] == "what" && w[^2] == "it":
                Assert.NotNull(_it);
                return Relate(_it!.Value, dirWord);
            case var _ when w[0] == "what":
            {
                var named = scene.Items.Where(i => Classes[i.Class] == w[^2]).ToArray();
                Assert.Single(named);
                _it = named[0].Cell;
                var (a, _) = Relate(named[0].Cell, dirWord);
                return (a, false);
            }
            case var _ when w[0] == "and":
                Assert.Equal("relation", _frame);
                Assert.NotNull(_it);
                return Relate(_it!.Value, w[1] == "to" ? w[3] : w[1]);
            case "where is it ?":
                Assert.NotNull(_it);
                _frame = "";
                return (Cells[_it!.Value], scene.Items.Count > 1);
            case "where is the other one ?":
            {
                Assert.NotNull(_it);
                int cls = scene.At(_it!.Value)!.Value.Class;
                Assert.Equal(2, Count(cls));
                _it = scene.Items.Single(i => i.Class == cls && i.Cell != _it).Cell;
                _frame = "";
                return (Cells[_it.Value], true);
            }
            default:
                throw new ArgumentException($"no rule reads '{question}'");
        }
    }
}
