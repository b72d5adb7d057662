using Recur.Data.Scenes;

namespace Recur.Data.Dialog;

/// <summary>
/// Dialogs about the scenes (the lectures' visual dialog), drawn deterministically from a seed: rounds of question and
/// answer where later questions refer back. A round opens with a question that names what it asks about
/// (<c>is there a bag ?</c>, <c>what is in the top left ?</c>, <c>how many shirts are there ?</c>, <c>what is above the
/// bag ?</c> of a class the scene holds once) or, after the first round, 80% of the time, follows up on the dialog so far
/// when it can: <c>what is above it ?</c>, <c>and below ?</c> (after a relation question), <c>where is it ?</c>,
/// <c>where is the other one ?</c> (when the scene holds two of its class), <c>how many ?</c> (after a yes to
/// <c>is there a X ?</c>), <c>and bags ?</c> (after a counting question), <c>and a bag ?</c> (after <c>is there a X ?</c>).
/// <para>
/// "It" is the object the dialog last put in focus: the one a yes to <c>is there a X ?</c> or a count of one found when
/// the scene holds exactly one, the object in the cell <c>what is in the C ?</c> asked about, the object a relation
/// question named, the other one once asked about; a question about an empty cell or about a class the scene holds
/// several times, or none, leaves nothing in focus. Relations name the cell right next to the object (see
/// <see cref="DialogWords"/>; asked 70% of the time the way an object stands, when one does); an ellipsis keeps the object of
/// the last relation question. A dialog does not ask the same question twice, and a follow-up the question alone would
/// answer is drawn again 75% of the time (up to ten draws a round, the last kept). Each round is marked by
/// <see cref="DialogReferences.NeedsHistory"/>.
/// </para>
/// </summary>
public static class DialogGenerator
{
    /// <summary>Rounds per dialog by default.</summary>
    public const int DefaultRounds = 6;

    /// <summary>How often a round after the first follows up on the dialog when it can.</summary>
    public const double FollowUpRate = 0.8;

    /// <summary>How often a follow-up that the question alone would answer is drawn again.</summary>
    public const double RedrawRate = 0.75;

    private const ulong Stream = 0x4449414C4F47UL; // "DIALOG"

    /// <summary>
    /// <paramref name="perScene"/> dialogs of <paramref name="rounds"/> rounds about each of <paramref name="scenes"/>, from
    /// <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<SceneDialog> ForScenes(IReadOnlyList<Scene> scenes, int rounds, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (perScene < 1) throw new ArgumentOutOfRangeException(nameof(perScene), perScene, "at least one dialog per scene.");
        var rng = new Rng(seed ^ Stream);
        var list = new List<SceneDialog>(scenes.Count * perScene);
        for (int s = 0; s < scenes.Count; s++)
            for (int k = 0; k < perScene; k++) list.Add(Generate(scenes[s], s, rounds, rng));
        return list;
    }

    /// <summary>One dialog of <paramref name="rounds"/> rounds about <paramref name="scene"/> (index <paramref name="sceneIndex"/>).</summary>
    public static SceneDialog Generate(Scene scene, int sceneIndex, int rounds, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(rng);
        if (rounds is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds must be in [1, 64].");
        if (scene.Items.Count == 0) throw new ArgumentException("a dialog needs a scene with at least one object.", nameof(scene));
        var state = new State(scene);
        var list = new List<DialogRound>(rounds);
        for (int r = 0; r < rounds; r++)
        {
            // drawn again (up to 10 times): a question already asked, and most follow-ups the question alone would answer
            var followUps = r == 0 ? [] : state.FollowUps();
            bool followUp = followUps.Count > 0 && rng.NextDouble() < FollowUpRate;
            State next;
            DialogRound round;
            bool again;
            int tries = 0;
            do
            {
                next = state.Copy();
                round = followUp ? next.FollowUp(followUps[rng.NextInt(followUps.Count)], rng) : next.Opening(rng);
                again = list.Any(x => x.Question == round.Question) || (followUp && !round.NeedsHistory && rng.NextDouble() < RedrawRate);
            }
            while (again && ++tries < 10);
            state = next;
            list.Add(round);
        }
        return new SceneDialog(sceneIndex, list);
    }

    private enum FrameKind { None, Exists, Count, Relation }

    /// <summary>What the dialog so far lets a question refer to: the object in focus and the last question's frame.</summary>
    private sealed class State(Scene scene)
    {
        private static readonly Relation[] Directions = [Relation.Above, Relation.Below, Relation.LeftOf, Relation.RightOf];
        private int? _focus;
        private FrameKind _frame;
        private int _frameClass;
        private Relation _frameRelation;
        private bool _frameYes;

        private int Classes => CaptionGrammar.Singular.Count;

        public State Copy() => (State)MemberwiseClone();

        private int CountOf(int cls) => scene.Items.Count(i => i.Class == cls);

        public List<DialogQuestionKind> FollowUps()
        {
            var k = new List<DialogQuestionKind>();
            if (_focus is int f)
            {
                k.Add(DialogQuestionKind.PronounRelation);
                k.Add(DialogQuestionKind.Where);
                if (CountOf(scene.At(f)!.Value.Class) == 2) k.Add(DialogQuestionKind.OtherOne);
                if (_frame == FrameKind.Relation && InGrid(f).Count > 1) k.Add(DialogQuestionKind.EllipsisRelation);
            }
            if (_frame == FrameKind.Exists)
            {
                k.Add(DialogQuestionKind.ExistsEllipsis);
                if (_frameYes) k.Add(DialogQuestionKind.HowMany);
            }
            if (_frame == FrameKind.Count) k.Add(DialogQuestionKind.CountEllipsis);
            return k;
        }

        public DialogRound Opening(Rng rng)
        {
            var unique = scene.Items.Where(i => CountOf(i.Class) == 1).ToArray();
            int pick = rng.NextInt(unique.Length > 0 ? 4 : 3);
            return pick switch
            {
                0 => Exists(Class(rng, 0.7), DialogQuestionKind.Exists),
                1 => Position(rng),
                2 => Count(Class(rng, 0.75), DialogQuestionKind.Count),
                _ => NamedRelation(unique[rng.NextInt(unique.Length)].Cell, rng),
            };
        }

        public DialogRound FollowUp(DialogQuestionKind kind, Rng rng)
        {
            switch (kind)
            {
                case DialogQuestionKind.PronounRelation:
                {
                    var r = Direction(_focus!.Value, rng, except: null);
                    return Relate(_focus.Value, r, $"what is {DialogWords.Phrase(r)} it ?", kind);
                }
                case DialogQuestionKind.EllipsisRelation:
                {
                    var r = Direction(_focus!.Value, rng, except: _frameRelation);
                    return Relate(_focus.Value, r, $"and {DialogWords.EllipsisPhrase(r)} ?", kind);
                }
                case DialogQuestionKind.Where:
                    _frame = FrameKind.None;
                    return Round("where is it ?", SceneQuestions.CellNames[_focus!.Value], kind);
                case DialogQuestionKind.OtherOne:
                    _focus = DialogReferences.Other(scene, _focus!.Value);
                    _frame = FrameKind.None;
                    return Round("where is the other one ?", SceneQuestions.CellNames[_focus.Value], kind);
                case DialogQuestionKind.HowMany:
                    _frame = FrameKind.Count; // the class stays: "and bags ?" may follow
                    return Round("how many ?", DialogWords.Counts[CountOf(_frameClass)], kind);
                case DialogQuestionKind.CountEllipsis:
                    return Count(OtherClass(rng, 0.75), kind);
                default:
                    return Exists(OtherClass(rng, 0.5), kind);
            }
        }

        private DialogRound Exists(int cls, DialogQuestionKind kind)
        {
            int n = CountOf(cls);
            (_frame, _frameClass, _frameYes) = (FrameKind.Exists, cls, n > 0);
            _focus = n == 1 ? scene.Items.First(i => i.Class == cls).Cell : null;
            string text = kind == DialogQuestionKind.Exists ? $"is there a {CaptionGrammar.Singular[cls]} ?" : $"and a {CaptionGrammar.Singular[cls]} ?";
            return Round(text, n > 0 ? "yes" : "no", kind);
        }

        private DialogRound Count(int cls, DialogQuestionKind kind)
        {
            int n = CountOf(cls);
            (_frame, _frameClass) = (FrameKind.Count, cls);
            _focus = n == 1 ? scene.Items.First(i => i.Class == cls).Cell : null;
            string text = kind == DialogQuestionKind.Count ? $"how many {CaptionGrammar.Plural[cls]} are there ?" : $"and {CaptionGrammar.Plural[cls]} ?";
            return Round(text, DialogWords.Counts[n], kind);
        }

        private DialogRound Position(Rng rng)
        {
            var empty = Enumerable.Range(0, scene.GridSide * scene.GridSide).Where(c => scene.At(c) is null).ToArray();
            int cell = empty.Length == 0 || rng.NextDouble() < 0.85 ? scene.Items[rng.NextInt(scene.Items.Count)].Cell : empty[rng.NextInt(empty.Length)];
            var item = scene.At(cell);
            _focus = item is null ? null : cell;
            _frame = FrameKind.None;
            return Round($"what is in the {SceneQuestions.CellNames[cell]} ?", item is { } it ? CaptionGrammar.Singular[it.Class] : "nothing",
                DialogQuestionKind.Position);
        }

        private DialogRound NamedRelation(int cell, Rng rng)
        {
            var r = Direction(cell, rng, except: null);
            _focus = cell;
            string named = CaptionGrammar.Singular[scene.At(cell)!.Value.Class];
            return Relate(cell, r, $"what is {DialogWords.Phrase(r)} the {named} ?", DialogQuestionKind.Relation);
        }

        private DialogRound Relate(int cell, Relation r, string text, DialogQuestionKind kind)
        {
            (_frame, _frameRelation) = (FrameKind.Relation, r);
            return new DialogRound(text, DialogWords.Next(scene, cell, r), kind, DialogReferences.NeedsHistory(scene, kind, r));
        }

        private DialogRound Round(string text, string answer, DialogQuestionKind kind)
            => new(text, answer, kind, DialogReferences.NeedsHistory(scene, kind));

        /// <summary>The directions on the grid from <paramref name="cell"/>.</summary>
        private static List<Relation> InGrid(int cell) => [.. Directions.Where(r => DialogWords.Neighbour(cell, r) >= 0)];

        /// <summary>
        /// A direction on the grid from <paramref name="cell"/> (not <paramref name="except"/>): 70% of the time one with an object
        /// there, when any has.
        /// </summary>
        private Relation Direction(int cell, Rng rng, Relation? except)
        {
            var all = InGrid(cell).Where(r => r != except).ToList();
            var occupied = all.Where(r => scene.At(DialogWords.Neighbour(cell, r)) is not null).ToList();
            var from = occupied.Count > 0 && rng.NextDouble() < 0.7 ? occupied : all;
            return from[rng.NextInt(from.Count)];
        }

        /// <summary>A class the scene holds with probability <paramref name="present"/> (when it holds any), else one it does not.</summary>
        private int Class(Rng rng, double present) => PickClass(rng, present, -1);

        /// <summary>As <see cref="Class"/>, never the frame's class.</summary>
        private int OtherClass(Rng rng, double present) => PickClass(rng, present, _frameClass);

        private int PickClass(Rng rng, double present, int except)
        {
            var held = scene.Items.Select(i => i.Class).Where(c => c != except).Distinct().Order().ToArray();
            var absent = Enumerable.Range(0, Classes).Where(c => c != except && CountOf(c) == 0).ToArray();
            bool usePresent = held.Length > 0 && (absent.Length == 0 || rng.NextDouble() < present);
            var from = usePresent ? held : absent;
            return from[rng.NextInt(from.Length)];
        }
    }
}
