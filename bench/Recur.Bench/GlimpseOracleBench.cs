using System.Diagnostics;
using Recur.Data;
using Recur.Data.Glimpse;
using Recur.Models.Glimpse;
using Recur.Tasks.Glimpse;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// <c>glimpse-oracle [FASHION_DIR] [--mode centre|quad] [--minutes 10] [--size 100]</c>: how well the default RAM classifies
/// cluttered canvases when it is told where the object is, i.e. the ceiling its retina and classifier leave to the location
/// policy. The plain run's model (<see cref="GlimpseSettings"/>' defaults: 5 glimpses of 5 scales of 6x6), the first glimpse at
/// the centre as always, every later one placed by the oracle instead of the policy (<see cref="RecurrentAttentionModel.Replay"/>):
/// at the object's centre (<c>centre</c>), or 7 pixels up-left, up-right, down-left and down-right of that centre in turn
/// (<c>quad</c>; a fifth later glimpse would go to the centre itself). Trained by the cross-entropy alone (no REINFORCE: the
/// locations are given) with the task's recipe (Adam 1e-3, batch 64, norm clipping at 5, fresh training canvases each epoch,
/// one thread), for <c>--minutes</c>; after each epoch the
/// error on the first 2,000 validation canvases, with the same oracle locations.
/// </summary>
internal static class GlimpseOracleBench
{
    public static int Run(string[] args)
    {
        string dir = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : FashionMnist.DefaultDirectory;
        string mode = TorchRef.Option(args, "--mode", "quad");
        double minutes = double.Parse(TorchRef.Option(args, "--minutes", "10"), System.Globalization.CultureInfo.InvariantCulture);
        int size = int.Parse(TorchRef.Option(args, "--size", "100"));
        if (mode is not ("centre" or "quad")) throw new ArgumentException($"--mode must be centre or quad, got '{mode}'.");
        var (train, _) = FashionMnist.Load(dir);
        var settings = new GlimpseSettings { Size = size };
        var options = settings.ToClutter();
        var (trainSplit, validation) = (ClutteredSplit.Training(train, options), ClutteredSplit.Validation(train, options));
        var model = new RecurrentAttentionModel(settings.ToRam(256)) { Threads = 1 };
        model.Reset(new Rng(1));
        var adam = new Adam(model.Store, 1e-3);
        int[] offsets = mode == "quad" ? [0, 0, -7, -7, 7, -7, -7, 7, 7, 7] : new int[10];
        Console.WriteLine($"RAM with oracle locations ({mode}): {model.Config.Steps} glimpses, {size}x{size}, {options.Clutter} clutter pieces, "
            + $"{minutes} minutes, one thread");
        var clock = Stopwatch.StartNew();
        var order = Enumerable.Range(0, trainSplit.Count).ToArray();
        const int B = 64;
        for (int epoch = 0; clock.Elapsed.TotalMinutes < minutes; epoch++)
        {
            new Random(epoch + 7).Shuffle(order);
            for (int s = 0; s + B <= order.Length && clock.Elapsed.TotalMinutes < minutes; s += B)
            {
                var (x, y, draws) = Batch(trainSplit, order[s..(s + B)], epoch, model.Config.Steps, offsets);
                model.Replay(x, new Tensor(B, 2), draws);
                model.Loss(y, new float[B], new float[(model.Config.Steps - 1) * B]);
                model.Store.ZeroGrad();
                model.Backward();
                GradClip.ClipByNorm(model.Store.Grads.AsSpan(0, model.Store.Count), 5f, 1);
                adam.Step();
            }
            Console.WriteLine($"epoch {epoch + 1}, {clock.Elapsed.TotalMinutes:F1} min: validation error {Error(model, validation, offsets):F4}");
        }
        return 0;
    }

    /// <summary>Canvases <c>(B, S, S)</c>, classes, and the oracle's draws <c>(T-1, B, 2)</c> for <paramref name="items"/>.</summary>
    private static (Tensor X, int[] Y, Tensor Draws) Batch(ClutteredSplit split, int[] items, int epoch, int steps, int[] offsets)
    {
        int B = items.Length, S = split.Options.Size;
        var x = new Tensor(B, S, S);
        var y = new int[B];
        var draws = new Tensor(steps - 1, B, 2);
        for (int b = 0; b < B; b++)
        {
            var e = split.Example(items[b], epoch); // drawn once: the canvas, its class and the object's place
            ClutterGenerator.Render(e, split.Images, S, x.Data.AsSpan(b * S * S, S * S));
            y[b] = e.Label;
            int cx = e.X + ClutterOptions.ObjectSide / 2, cy = e.Y + ClutterOptions.ObjectSide / 2; // the object's centre pixel
            for (int t = 0; t < steps - 1; t++)
            {
                int k = (t + 1) % (offsets.Length / 2);
                // l = 2 (p + 0.5) / S - 1 puts the retina's centre pixel at p (GlimpseSensor.Centre)
                draws.Data[(t * B + b) * 2] = (float)(2 * (cx + offsets[2 * k] + 0.5) / S - 1);
                draws.Data[(t * B + b) * 2 + 1] = (float)(2 * (cy + offsets[2 * k + 1] + 0.5) / S - 1);
            }
        }
        return (x, y, draws);
    }

    private static double Error(RecurrentAttentionModel model, ClutteredSplit split, int[] offsets)
    {
        int wrong = 0, n = Math.Min(2000, split.Count), chunk = 200;
        for (int s = 0; s < n; s += chunk)
        {
            var items = Enumerable.Range(s, Math.Min(chunk, n - s)).ToArray();
            var (x, y, draws) = Batch(split, items, 0, model.Config.Steps, offsets);
            var logits = model.Replay(x, new Tensor(items.Length, 2), draws);
            for (int b = 0; b < items.Length; b++)
                if (GlimpseLosses.Argmax(logits.Data.AsSpan(b * model.Config.Classes, model.Config.Classes)) != y[b]) wrong++;
        }
        return wrong / (double)n;
    }
}
