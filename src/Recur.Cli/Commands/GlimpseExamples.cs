using Recur.Data;
using Recur.Tasks.Glimpse;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur glimpse eval</c> writes beside eval.json, <c>glimpses.jsonl</c>: one line per canvas kept
/// (<see cref="ExampleSelection"/>): its split, index, true <c>class</c>, the model's <c>prediction</c> (the highest logit, as
/// the error counts it), <c>correct</c>, every class's probability (<c>choices</c>, <c>probabilities</c>), and for the
/// attention model the path it took (the policy's mean, as eval follows it): <c>locations</c>, per glimpse in order its
/// centre <c>(l_x, l_y)</c> in [-1, 1], and <c>scales</c>, the sides in pixels of the squares each glimpse reads. <c>picture</c>
/// is the canvas with the path drawn (<see cref="GlimpsePaths.Render"/>; the CNN's canvas alone), under <c>examples/</c>.
/// </summary>
internal sealed class GlimpseExamples(string jsonPath, string split, IClutterClassifier model)
{
    public const string FileName = "glimpses.jsonl";

    /// <summary>How many times a picture enlarges its canvas.</summary>
    private const int Zoom = 2;

    private readonly ExampleSelection _selection = ExampleLines.Selection();

    /// <summary>The file, written by <see cref="Save"/>.</summary>
    public ExampleLines Lines { get; } = ExampleLines.Beside(jsonPath, FileName);

    /// <summary>
    /// Adds the kept canvases of one chunk (the arguments <see cref="GlimpseScore.Of"/> gives it).
    /// </summary>
    public void Add(int start, Tensor images, int[] labels, Tensor logits, Tensor? locations)
    {
        int b = images.Shape[0], P = images.Shape[1], K = logits.Shape[1], S = model.Side;
        var ram = model as RamClassifier;
        int T = ram?.Model.Config.Steps ?? 0, patch = ram?.Model.Config.Patch ?? 1, scales = ram?.Model.Config.Scales ?? 0;
        for (int i = 0; i < b; i++)
        {
            var row = logits.Data.AsSpan(i * K, K);
            int predicted = Models.Glimpse.GlimpseLosses.Argmax(row), label = labels[i];
            bool correct = predicted == label;
            if (!_selection.Keep(correct)) continue;
            var probabilities = new float[K];
            System.Numerics.Tensors.TensorPrimitives.SoftMax(row, probabilities);
            var path = new float[2 * T]; // (T, 2) this canvas's glimpse centres
            if (locations is not null)
                for (int t = 0; t < T; t++) locations.Data.AsSpan((t * b + i) * 2, 2).CopyTo(path.AsSpan(2 * t));
            int index = start + i;
            string picture = Lines.Picture(split, index, GlimpsePaths.Render(images.Data.AsSpan(i * P, P), S, path, patch, scales, Zoom));
            Lines.Add(w =>
            {
                var names = FashionMnist.ClassNames;
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteString("class", names[label]);
                w.WriteString("prediction", names[predicted]);
                w.WriteBoolean("correct", correct);
                ExampleLines.Strings(w, "choices", names.Take(K));
                ExampleLines.Weights(w, "probabilities", probabilities);
                if (locations is not null)
                {
                    w.WriteStartArray("locations");
                    for (int t = 0; t < T; t++) ExampleLines.Weights(w, null, path.AsSpan(2 * t, 2));
                    w.WriteEndArray();
                    w.WriteStartArray("scales");
                    for (int s = 0; s < scales; s++) w.WriteNumberValue(patch << s);
                    w.WriteEndArray();
                }
                w.WriteString("picture", picture);
            });
        }
    }

    /// <summary>Writes the file.</summary>
    public void Save() => Lines.Save();
}
