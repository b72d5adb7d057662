using Recur.Data;
using Recur.Data.Video;
using Recur.Imaging;
using Recur.Tasks.Video;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur video eval</c> writes beside eval.json, <c>clips.jsonl</c>: one line per clip kept
/// (<see cref="ExampleSelection"/>): its split, index, the true <c>action</c>, the model's <c>prediction</c> (the highest
/// logit, as the accuracy counts it), <c>correct</c>, every action's probability (<c>choices</c>, <c>probabilities</c>), per
/// frame the classes visible and the ones predicted (logit above 0, as the F1 counts them) and whether the two agree, and
/// <c>picture</c>: the clip's frames side by side at half size (<c>examples/clips-SPLIT-INDEX.png</c>).
/// </summary>
internal static class VideoExamples
{
    public const string FileName = "clips.jsonl";

    /// <summary>
    /// Writes the kept clips of <paramref name="clips"/> to <c>clips.jsonl</c> beside <paramref name="jsonPath"/>, from the
    /// logits <paramref name="actionLogits"/> <c>(N, A)</c> and <paramref name="visibleLogits"/> <c>(N, T, C)</c> against the
    /// labels of <paramref name="set"/>.
    /// </summary>
    public static ExampleLines Write(string jsonPath, ClipSplit clips, VideoDataset set, float[] actionLogits, float[] visibleLogits)
    {
        var lines = ExampleLines.Beside(jsonPath, FileName);
        var selection = ExampleLines.Selection();
        int N = set.Count, T = set.Frames, C = set.Classes, A = actionLogits.Length / Math.Max(1, N);
        var names = FashionMnist.ClassNames;
        for (int i = 0; i < N; i++)
        {
            var logits = actionLogits.AsSpan(i * A, A);
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            bool correct = predicted == set.Actions[i];
            if (!selection.Keep(correct)) continue;
            var probabilities = new float[A];
            System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, probabilities);
            string picture = lines.Picture(clips.Name, i, Half(ClipStrip.Of(clips.Clips[i], clips.Images)));
            int index = i;
            lines.Add(w =>
            {
                w.WriteString("split", clips.Name);
                w.WriteNumber("index", index);
                w.WriteString("action", VideoActions.Name(VideoActions.All[set.Actions[index]]));
                w.WriteString("prediction", VideoActions.Name(VideoActions.All[predicted]));
                w.WriteBoolean("correct", correct);
                ExampleLines.Strings(w, "choices", VideoActions.All.Take(A).Select(VideoActions.Name));
                ExampleLines.Weights(w, "probabilities", probabilities);
                w.WriteStartArray("frames");
                for (int t = 0; t < T; t++)
                {
                    int at = (index * T + t) * C;
                    var visible = Enumerable.Range(0, C).Where(k => set.Visible[at + k] > 0.5f).ToArray();
                    var seen = Enumerable.Range(0, C).Where(k => visibleLogits[at + k] > 0).ToArray();
                    w.WriteStartObject();
                    ExampleLines.Strings(w, "visible", visible.Select(k => names[k]));
                    ExampleLines.Strings(w, "predicted", seen.Select(k => names[k]));
                    w.WriteBoolean("right", visible.SequenceEqual(seen));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("picture", picture);
            });
        }
        lines.Save();
        return lines;
    }

    /// <summary>A grey image at half its size, each pixel the mean of a 2 x 2 block (an odd last row or column dropped).</summary>
    private static PixelImage Half(PixelImage grey)
    {
        int W = grey.Width / 2, H = grey.Height / 2, stride = grey.Width;
        var px = new byte[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int at = 2 * y * stride + 2 * x;
                px[y * W + x] = (byte)((grey.Pixels[at] + grey.Pixels[at + 1] + grey.Pixels[at + stride] + grey.Pixels[at + stride + 1] + 2) / 4);
            }
        return new PixelImage(W, H, 1, px);
    }
}
