using System.Diagnostics;
using System.Globalization;
using Recur.Kernels;
using Recur.Models;
using Recur.Nn.Blocks;
using Recur.Plotting;

namespace Recur.Bench;

/// <summary>
/// What a long context costs when sampling: for each model (width 256, 2 layers, batch 1, one thread) and each
/// context length 1k..64k, the time of one sampling step and the bytes of carried state after that many
/// tokens. A recurrence carries a fixed state, so both stay flat; the Transformer's KV cache grows with the
/// context and so does the attention over it. The block models' states are filled to the context length
/// directly (random cache contents cost the same as real ones; priming 64k tokens through attention would
/// take minutes), the cell models' cost does not depend on what came before.
/// <c>context [--models lstm,mingru,mamba,rwkv,transformer] [--steps 200] [--png FILE]</c>
/// </summary>
internal static class ContextCostBench
{
    public static int Run(string[] args)
    {
        string models = "lstm,mingru,mamba,rwkv,transformer", png = "context-cost.png";
        int steps = 200;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--models": models = Next(); break;
                case "--steps": steps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--png": png = Next(); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        int[] contexts = [1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16];
        const int D = 256, L = 2, V = 65;
        var plot = new LinePlot { Title = "sampling cost against context (width 256, 2 layers, 1 thread)", XLabel = "context (thousands of characters)",
            YLabel = "microseconds per character", LogY = true };
        Console.WriteLine($"{"model",-12} {"context",8} {"us/char",10} {"state bytes",14}");
        foreach (string name in models.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var cfg = new CharModelConfig { Cell = name, VocabSize = V, Embed = BlockRegistry.Contains(name) ? D : 64, Hidden = D, Layers = L, Heads = 4,
                Context = contexts[^1] };
            var model = new CharModel(cfg);
            model.Reset(new Rng(1));
            var xs = new List<double>(); var ys = new List<double>();
            foreach (int ctx in contexts)
            {
                var (us, bytes) = cfg.IsBlockModel ? TimeBlocks(model, ctx, steps) : TimeCells(model, steps);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-12} {ctx,8} {us,10:F1} {bytes,14:N0}"));
                xs.Add(ctx / 1000.0); ys.Add(us);
            }
            plot.AddLine(name, xs.ToArray(), ys.ToArray());
        }
        if (Path.GetDirectoryName(Path.GetFullPath(png)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(png, plot.ToPng());
        Console.WriteLine($"plot: {png}");
        return 0;
    }

    /// <summary>A cell model through the sampler; its state is a fixed (L, H) (and c), whatever the context.</summary>
    private static (double Us, long Bytes) TimeCells(CharModel model, int steps)
    {
        var s = new CharSampler(model, 1);
        var rng = new Rng(2);
        for (int i = 0; i < 20; i++) s.Step(rng.NextInt(model.Config.VocabSize));
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) s.Step(rng.NextInt(model.Config.VocabSize));
        long bytes = 4L * model.Config.Layers * model.Config.Hidden * (model.Config.RecurrentCell.HasCellState ? 2 : 1);
        return (sw.Elapsed.TotalMicroseconds / steps, bytes);
    }

    /// <summary>A block model's step (blocks, final norm, head) from states filled to <paramref name="ctx"/> tokens.</summary>
    private static (double Us, long Bytes) TimeBlocks(CharModel model, int ctx, int steps)
    {
        var blocks = model.Blocks!;
        int D = blocks.Width, V = model.Config.VocabSize;
        var states = blocks.NewStates(1);
        var rng = new Rng(3);
        foreach (var st in states)
        {
            foreach (var buf in st.Buffers.Values) for (int i = 0; i < buf.Length; i++) buf[i] = 0.1f * (rng.NextFloat() - 0.5f);
            st.Position = ctx;
        }
        var x = new float[D]; var y = new float[D]; var normed = new float[D]; var logits = new float[V];
        void Step(int token)
        {
            model.EmbeddingLayer!.Weight.Value.Slice(token * D, D).CopyTo(x);
            for (int l = 0; l < blocks.Blocks.Count; l++) { blocks.Blocks[l].Step(x, y, states[l]); (x, y) = (y, x); }
            blocks.Norm.Forward(x, 1, normed);
            model.Head.Bias!.Value.CopyTo(logits);
            Gemv.MultiplyAdd(model.Head.Weight.Value, V, D, normed, logits);
        }
        for (int i = 0; i < 20; i++) Step(rng.NextInt(V));
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step(rng.NextInt(V));
        double us = sw.Elapsed.TotalMicroseconds / steps;
        // The state a stream carries at this context: a KV cache holds min(ctx, its capacity) tokens of it.
        long bytes = 0;
        foreach (var st in states)
            bytes += st.Buffers.ContainsKey("k") ? 2L * 4 * Math.Min(ctx, st.Buffers["k"].Length / D) * D : st.Bytes;
        return (us, bytes);
    }
}
