using Recur.Data.Scenes;
using Recur.Models.Captioning;

namespace Recur.Models.Vqa;

/// <summary>
/// Questions about scenes ready for a <see cref="VqaModel"/>: the scenes' feature grids <c>(S, L, D)</c>, and per
/// question its scene, its tokens left-padded to <see cref="SceneQuestions.MaxWords"/>, its four choices as answer ids
/// and the right one.
/// </summary>
public sealed class VqaDataset
{
    private readonly int[] _sceneOf, _questions, _choices, _answers;

    /// <summary>The question vocabulary: the four special tokens, then <see cref="SceneQuestions.Words"/>.</summary>
    public static CaptionVocabulary QuestionVocabulary() => new([.. CaptionVocabulary.Specials, .. SceneQuestions.Words]);

    /// <summary><paramref name="perScene"/> questions about each of <paramref name="scenes"/>, drawn from <paramref name="seed"/>.</summary>
    public VqaDataset(Tensor features, IReadOnlyList<Scene> scenes, int perScene, ulong seed)
        : this(features, scenes, Draw(scenes, perScene, seed))
    {
    }

    /// <summary>The given <paramref name="questions"/> (scene index, question) about <paramref name="scenes"/>.</summary>
    public VqaDataset(Tensor features, IReadOnlyList<Scene> scenes, IReadOnlyList<(int Scene, SceneQuestion Question)> questions)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(questions);
        if (features.Rank != 3 || features.Shape[0] != scenes.Count) throw new ArgumentException($"features {features.ShapeString} for {scenes.Count} scenes.");
        Features = features; Scenes = scenes; Items = questions;
        Vocabulary = QuestionVocabulary();
        int n = questions.Count, T = SceneQuestions.MaxWords;
        _sceneOf = new int[n]; _questions = new int[n * T]; _choices = new int[n * 4]; _answers = new int[n];
        var answerIds = SceneQuestions.Answers.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
        for (int i = 0; i < n; i++)
        {
            var (s, q) = questions[i];
            _sceneOf[i] = s;
            var words = q.Text.Split(' ');
            if (words.Length > T) throw new ArgumentException($"'{q.Text}' has more than {T} words.");
            for (int k = 0; k < words.Length; k++) _questions[i * T + T - words.Length + k] = Vocabulary.Id(words[k]);
            for (int c = 0; c < 4; c++) _choices[i * 4 + c] = answerIds[q.Choices[c]];
            _answers[i] = q.Answer;
        }
    }

    /// <summary>
    /// <paramref name="perScene"/> questions (scene index, question) about each of <paramref name="scenes"/>, drawn from
    /// <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<(int Scene, SceneQuestion Question)> Draw(IReadOnlyList<Scene> scenes, int perScene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (perScene < 1) throw new ArgumentOutOfRangeException(nameof(perScene), perScene, "at least one question per scene.");
        var rng = new Rng(seed ^ 0x5155455354UL);
        var list = new List<(int Scene, SceneQuestion Question)>(scenes.Count * perScene);
        for (int s = 0; s < scenes.Count; s++)
            for (int k = 0; k < perScene; k++) list.Add((s, SceneQuestions.Ask(scenes[s], rng)));
        return list;
    }

    public Tensor Features { get; }
    public IReadOnlyList<Scene> Scenes { get; }
    public IReadOnlyList<(int Scene, SceneQuestion Question)> Items { get; }
    public CaptionVocabulary Vocabulary { get; }

    /// <summary>Questions.</summary>
    public int Count => _answers.Length;

    /// <summary>Locations <c>L</c>.</summary>
    public int Locations => Features.Shape[1];

    /// <summary>Features per location <c>D</c>.</summary>
    public int FeatureDim => Features.Shape[2];

    /// <summary>Writes questions <paramref name="indices"/> into a batch: features <c>(B, L, D)</c>, tokens, choices, answers.</summary>
    public void Fill(ReadOnlySpan<int> indices, Tensor features, int[] questions, int[] choices, int[] answers)
    {
        ArgumentNullException.ThrowIfNull(features);
        int per = Locations * FeatureDim, T = SceneQuestions.MaxWords;
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            Features.Data.AsSpan(_sceneOf[i] * per, per).CopyTo(features.Data.AsSpan(b * per, per));
            _questions.AsSpan(i * T, T).CopyTo(questions.AsSpan(b * T, T));
            _choices.AsSpan(i * 4, 4).CopyTo(choices.AsSpan(b * 4, 4));
            answers[b] = _answers[i];
        }
    }

    /// <summary>The questions about scenes <c>[start, start + count)</c>, with those scenes' features.</summary>
    public VqaDataset SliceScenes(int start, int count)
    {
        int per = Locations * FeatureDim;
        var f = new Tensor(count, Locations, FeatureDim);
        Features.Data.AsSpan(start * per, count * per).CopyTo(f.Data);
        var items = Items.Where(x => x.Scene >= start && x.Scene < start + count).Select(x => (x.Scene - start, x.Question)).ToArray();
        return new VqaDataset(f, Scenes.Skip(start).Take(count).ToArray(), items);
    }
}
