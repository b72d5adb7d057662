using System.Diagnostics;
using System.Globalization;
using Recur.Models;
using Recur.Nn.Cells;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Training speed of the cells against each other, same process, same shapes: a character model
/// (vocabulary 65, embedding 64) with <c>L</c> layers of width <c>H</c>, one truncated-BPTT step on
/// <c>(T, B)</c> tokens plus an Adam update per iteration. Rounds alternate the cells (A B A B ...) so a
/// machine that slows down during the run slows every cell alike; the figure is the median round.
/// <c>cells [--models gru,mingru] [--hidden 512] [--layers 2] [--batch 32] [--seq 256] [--iters 3] [--rounds 5] [--threads 2]</c>
/// </summary>
internal static class CellSpeedBench
{
    public static int Run(string[] args)
    {
        string models = "gru,mingru";
        int hidden = 512, layers = 2, batch = 32, seq = 256, iters = 3, rounds = 5, threads = 2;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--models": models = Next(); break;
                case "--hidden": hidden = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--layers": layers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seq": seq = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--iters": iters = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        var names = models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        const int vocab = 65;
        var rng = new Rng(1);
        var inputs = Enumerable.Range(0, seq * batch).Select(_ => rng.NextInt(vocab)).ToArray();
        var targets = Enumerable.Range(0, seq * batch).Select(_ => rng.NextInt(vocab)).ToArray();
        var setups = names.Select(n =>
        {
            var cell = CellRegistry.Get(n);
            var cfg = new CharModelConfig { Cell = n, VocabSize = vocab, Embed = cell.RequiresInputEqualsHidden ? hidden : 64,
                Hidden = hidden, Layers = layers };
            var m = new CharModel(cfg) { Threads = threads };
            m.Reset(new Rng(2));
            var opt = new Adam(m.Store, 2e-3) { Threads = threads };
            void Step() { m.TrainStep(inputs, targets, seq, batch, rng); opt.Step(); }
            Step(); // warm-up: buffers, JIT
            return (Name: n, Params: m.Store.Count, Step: (Action)Step, Rates: new List<double>());
        }).ToArray();
        Console.WriteLine($"cells: H {hidden}, L {layers}, B {batch}, T {seq}, threads {threads}, {iters} iterations x {rounds} alternating rounds");
        for (int r = 0; r < rounds; r++)
            foreach (var s in setups)
            {
                var sw = Stopwatch.StartNew();
                for (int k = 0; k < iters; k++) s.Step();
                s.Rates.Add((double)iters * seq * batch / sw.Elapsed.TotalSeconds);
            }
        double baseRate = Median(setups[0].Rates);
        Console.WriteLine($"{"model",-10} {"params",10} {"tok/s",10} {"vs " + setups[0].Name,10}   rounds");
        foreach (var s in setups)
        {
            double m = Median(s.Rates);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Name,-10} {s.Params,10:N0} {m,10:N0} {m / baseRate,9:0.00}x   "
                    + $"{string.Join(" ", s.Rates.Select(x => x.ToString("N0", CultureInfo.InvariantCulture)))}"));
        }
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
