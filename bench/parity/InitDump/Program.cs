// InitDump FILE SEED OUT: writes OUT/model.safetensors and OUT/config.json holding the weights that
// `recur train FILE --seed SEED` (default options) starts from: CharLmDefinition builds the model and calls
// CharModel.Reset(new Rng(seed)) before its first update. OUT is a checkpoint folder, so it can be read from
// PyTorch or given back to `recur train FILE --init-from OUT` (which then runs exactly as `--seed SEED`).
using System.Globalization;
using Recur;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.CharLm;
using Recur.Training;

if (args is ["--rng-stats"]) return RngStats();
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: InitDump FILE SEED OUT | InitDump --rng-stats");
    return 2;
}
var corpus = Corpus.Load(args[0]);
ulong seed = ulong.Parse(args[1], CultureInfo.InvariantCulture);
var vocab = Vocabulary.FromText(corpus.Text);
var options = new TrainOptions { Seed = seed, Data = corpus.Source };
var model = new CharModel(options.ToModelConfig(vocab.Count));
model.Reset(new Rng(seed));
CharCheckpoint.Save(args[2], model, vocab, options);
Console.WriteLine($"{args[2]}: {CharLmDefinition.Describe(model.Config)}, seed {seed}");
return 0;

// Moments, tails, lag-1 correlation and a KS distance of 10^7 Rng.NextGaussian draws (seed 1234), the same
// for the first 6,144 draws (an embedding's worth) over 2,000 seeds, and 10^7 Rng.FillUniform draws.
static int RngStats()
{
    const int n = 10_000_000;
    var rng = new Rng(1234);
    var a = new double[n];
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, lag = 0;
    long over3 = 0, over4 = 0;
    for (int i = 0; i < n; i++)
    {
        double v = rng.NextGaussian();
        a[i] = v; s1 += v; s2 += v * v; s3 += v * v * v; s4 += v * v * v * v;
        if (Math.Abs(v) > 3) over3++;
        if (Math.Abs(v) > 4) over4++;
        if (i > 0) lag += v * a[i - 1];
    }
    double mean = s1 / n;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"NextGaussian, {n} draws: mean {mean:F5} (se {1 / Math.Sqrt(n):F5}), variance {s2 / n - mean * mean:F5} (se {Math.Sqrt(2.0 / n):F5}), skewness "
            + $"{s3 / n:F4}, kurtosis {s4 / n:F4} (3), P(|x|>3) {over3 / (double)n:F6} (0.002700), P(|x|>4) {over4 / (double)n:F7} (0.0000633), lag-1 "
            + $"correlation {lag / (n - 1):F5}"));
    Array.Sort(a);
    double d = 0;
    for (int i = 0; i < n; i++)
    {
        double c = NormalCdf(a[i]);
        d = Math.Max(d, Math.Max((i + 1.0) / n - c, c - (double)i / n));
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  KS distance to N(0,1): {d:F6} (5% critical value {1.358 / Math.Sqrt(n):F6})"));
    const int seeds = 2000, m = 6144;
    double zm = 0, zm2 = 0, zs = 0, zs2 = 0;
    for (int seed = 0; seed < seeds; seed++)
    {
        var r = new Rng((ulong)seed);
        double sum = 0, sq = 0;
        for (int i = 0; i < m; i++) { double v = r.NextGaussian(); sum += v; sq += v * v; }
        double mu = sum / m, sd = Math.Sqrt(sq / m - mu * mu);
        double z1 = mu * Math.Sqrt(m), z2 = (sd - 1) * Math.Sqrt(2.0 * m);
        zm += z1; zm2 += z1 * z1; zs += z2; zs2 += z2 * z2;
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  first {m} draws of {seeds} seeds: z-score of the mean: average {zm / seeds:F3}, variance {zm2 / seeds - zm / seeds * (zm / seeds):F3} (1); of the "
            + $"std: average {zs / seeds:F3}, variance {zs2 / seeds - zs / seeds * (zs / seeds):F3} (1)"));
    var u = new float[n];
    new Rng(99).FillUniform(u, -0.0625f, 0.0625f);
    double us = 0, us2 = 0, lo = 1, hi = -1;
    foreach (float v in u) { us += v; us2 += (double)v * v; lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"FillUniform(-1/16, 1/16), {n} draws: mean {us / n:F7}, std {Math.Sqrt(us2 / n - us / n * (us / n)):F7} (0.0360844), min {lo:G9}, max {hi:G9}"));
    return 0;
}

static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

// Complementary error function, Numerical Recipes' erfcc (fractional error below 1.2e-7).
static double Erfc(double x)
{
    double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
    double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
}
