using Recur.Data.Dialog;
using Recur.Data.Scenes;
using Recur.Models.Captioning;

namespace Recur.Models.Dialog;

/// <summary>
/// Dialogs about scenes ready for a <see cref="DialogModel"/>: the scenes' feature grids <c>(S, L, D)</c>, and per dialog its
/// scene, its questions' tokens <c>(R, MaxWords)</c> left-padded, and its answers' ids <c>(R)</c>. Every dialog has the
/// same number of rounds.
/// </summary>
public sealed class DialogDataset
{
    private readonly int[] _sceneOf, _questions, _answers;

    /// <summary>The question vocabulary: the four special tokens, then <see cref="DialogWords.Words"/>.</summary>
    public static CaptionVocabulary QuestionVocabulary() => new([.. CaptionVocabulary.Specials, .. DialogWords.Words]);

    /// <summary>The dialogs <paramref name="dialogs"/> about <paramref name="scenes"/> (whose features <paramref name="features"/> holds).</summary>
    public DialogDataset(Tensor features, IReadOnlyList<Scene> scenes, IReadOnlyList<SceneDialog> dialogs)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(dialogs);
        if (features.Rank != 3 || features.Shape[0] != scenes.Count) throw new ArgumentException($"features {features.ShapeString} for {scenes.Count} scenes.");
        Features = features; Scenes = scenes; Dialogs = dialogs;
        Vocabulary = QuestionVocabulary();
        Rounds = dialogs.Count == 0 ? 0 : dialogs[0].Rounds.Count;
        int n = dialogs.Count, R = Rounds, T = DialogWords.MaxWords;
        _sceneOf = new int[n]; _questions = new int[n * R * T]; _answers = new int[n * R];
        var answerIds = DialogWords.Answers.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
        for (int d = 0; d < n; d++)
        {
            var dialog = dialogs[d];
            if (dialog.Rounds.Count != R) throw new ArgumentException($"dialog {d} has {dialog.Rounds.Count} rounds, the first has {R}.");
            if ((uint)dialog.Scene >= (uint)scenes.Count) throw new ArgumentException($"dialog {d} is about scene {dialog.Scene} of {scenes.Count}.");
            _sceneOf[d] = dialog.Scene;
            for (int r = 0; r < R; r++)
            {
                var words = dialog.Rounds[r].Question.Split(' ');
                if (words.Length > T) throw new ArgumentException($"'{dialog.Rounds[r].Question}' has more than {T} words.");
                int at = (d * R + r) * T + T - words.Length;
                for (int k = 0; k < words.Length; k++) _questions[at + k] = Vocabulary.Id(words[k]);
                _answers[d * R + r] = answerIds[dialog.Rounds[r].Answer];
            }
        }
    }

    public Tensor Features { get; }
    public IReadOnlyList<Scene> Scenes { get; }
    public IReadOnlyList<SceneDialog> Dialogs { get; }
    public CaptionVocabulary Vocabulary { get; }

    /// <summary>Dialogs.</summary>
    public int Count => _sceneOf.Length;

    /// <summary>Rounds per dialog <c>R</c>.</summary>
    public int Rounds { get; }

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => Features.Shape[1];

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim => Features.Shape[2];

    /// <summary>Writes dialogs <paramref name="indices"/> into a batch: features <c>(B, L, D)</c>, questions <c>(B, R, T)</c>, answers <c>(B, R)</c>.</summary>
    public void Fill(ReadOnlySpan<int> indices, Tensor features, int[] questions, int[] answers)
    {
        ArgumentNullException.ThrowIfNull(features);
        int per = Locations * FeatureDim, R = Rounds, T = DialogWords.MaxWords;
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            Features.Data.AsSpan(_sceneOf[i] * per, per).CopyTo(features.Data.AsSpan(b * per, per));
            _questions.AsSpan(i * R * T, R * T).CopyTo(questions.AsSpan(b * R * T, R * T));
            _answers.AsSpan(i * R, R).CopyTo(answers.AsSpan(b * R, R));
        }
    }
}
