using Recur.Data.Scenes;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur glimpse eval</c> writes beside eval.json for a DRAM run, <c>glimpses.jsonl</c>: one line per scene kept
/// (<see cref="ExampleSelection"/>): its split and index, the scene's <c>classes</c> in reading order with their <c>cells</c>, the
/// model's <c>reading</c> (the slots' classes before the first end symbol), <c>correct</c> (the reading is exact),
/// <c>objects_right</c> and <c>count_right</c> (<see cref="DramReading"/>), every slot's <c>slots</c> (its argmax, the end
/// symbol included), the path (the policy's mean, as eval follows it): <c>locations</c>, per glimpse in order its centre
/// <c>(l_x, l_y)</c> in [-1, 1], <c>glimpses_per_object</c> and <c>scales</c> (the sides in pixels of each glimpse's squares);
/// and <c>picture</c>, the scene with the path drawn (<see cref="GlimpsePaths.Render"/>), under <c>examples/</c>.
/// </summary>
internal sealed class DramExamples(string jsonPath, string split, DeepRecurrentAttentionModel model, SceneSplit scenes)
{
    /// <summary>How many times a picture enlarges its scene.</summary>
    private const int Zoom = 2;

    private readonly ExampleSelection _selection = ExampleLines.Selection();

    /// <summary>The file, written by <see cref="Save"/>.</summary>
    public ExampleLines Lines { get; } = ExampleLines.Beside(jsonPath, GlimpseExamples.FileName);

    /// <summary>Adds the kept scenes of one chunk (the arguments <see cref="DramScore.Of"/> gives it).</summary>
    public void Add(int start, Tensor images, int[] targets, DramTrace trace)
    {
        var c = model.Config;
        int b = images.Shape[0], P = images.Shape[1], S = c.Slots, T = c.Steps;
        for (int i = 0; i < b; i++)
        {
            var scene = scenes.Scenes[start + i];
            var truth = scene.Items.Select(it => it.Class).ToArray();
            var slots = trace.Classes.AsSpan(i * S, S).ToArray();
            var reading = DramReading.Of(slots, truth, c.End);
            if (!_selection.Keep(reading.Exact)) continue;
            var path = DramFigures.Path(trace, i);
            int index = start + i;
            string picture = Lines.Picture(split, index, GlimpsePaths.Render(images.Data.AsSpan(i * P, P), c.Width, path, c.Patch, c.Scales, Zoom));
            Lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                ExampleLines.Strings(w, "classes", truth.Select(DramFigures.Name));
                w.WriteStartArray("cells");
                foreach (var it in scene.Items) w.WriteNumberValue(it.Cell);
                w.WriteEndArray();
                ExampleLines.Strings(w, "reading", trace.Sequences[i].Select(DramFigures.Name));
                w.WriteBoolean("correct", reading.Exact);
                w.WriteNumber("objects_right", reading.ObjectsRight);
                w.WriteBoolean("count_right", reading.CountRight);
                ExampleLines.Strings(w, "slots", slots.Select(DramFigures.Name));
                w.WriteStartArray("locations");
                for (int t = 0; t < T; t++) ExampleLines.Weights(w, null, path.AsSpan(2 * t, 2));
                w.WriteEndArray();
                w.WriteNumber("glimpses_per_object", c.GlimpsesPerObject);
                w.WriteStartArray("scales");
                for (int s = 0; s < c.Scales; s++) w.WriteNumberValue(c.Patch << s);
                w.WriteEndArray();
                w.WriteString("picture", picture);
            });
        }
    }

    /// <summary>Writes the file.</summary>
    public void Save() => Lines.Save();
}
