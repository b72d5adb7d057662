using System.Globalization;
using System.Text;
using Recur.Analysis;
using Recur.Data;
using Recur.Plotting;
using Recur.Tasks.CharLm;

namespace Recur.Cli.Commands;

/// <summary><c>recur gradflow</c>: vanishing and exploding gradients, measured and plotted.</summary>
internal sealed class GradFlowCommand : ICommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Name => "gradflow";
    public string Summary => "vanishing/exploding gradients: ||dL_T/dh_t|| for RNN, LSTM, GRU; W_hh scale; clipping demo";
    public string Usage => """
        usage: recur gradflow [--steps 200] [--batch 8] [--hidden 128] [--input-size 64] [--seed 1]
                              [--sigmas 0.5,1,1.5,3,6] [--forget-bias F] [--corpus FILE] [--out gradflow]
               recur gradflow --checkpoint RUN [--text FILE] [--steps 200] [--batch 8] [--out DIR]
               recur gradflow clip [--iters 300] [--sigma 3] [--max-norm 1] [--lr 0.5] [--seq 100]
                              [--batch 16] [--hidden 128] [--corpus FILE] [--seed 1] [--out gradflow]

        The loss sees only the last step's hidden state h_T (a random unit read-out at initialisation,
        the next-character cross-entropy for a checkpoint); the norm of dL/dh_t is measured exactly for
        every t (double precision, rescaled every step so 1e-300 is still a number) and averaged over
        the batch as a geometric mean.

        default   a tanh RNN, an LSTM and a GRU (one layer, PyTorch's initialisation U(-1/sqrt(H), 1/sqrt(H)))
                  over the same inputs (standard normal, or one-hot characters of --corpus). Then the tanh
                  RNN with W_hh rescaled to each largest singular value in --sigmas (power iteration),
                  with the measured per-step factor next to the lecture's bound sigma_max * max tanh'.
                  Writes OUT/gradflow.csv, OUT/gradflow.png, OUT/gradflow_sigma.csv, OUT/gradflow_sigma.png.
        --checkpoint RUN  the same curves for every layer of a trained character model, over windows
                  of --text (default: the run's corpus validation split). Writes OUT/gradflow_checkpoint.*.
        clip      a one-layer tanh RNN language model with W_hh started at singular value --sigma, trained
                  with plain SGD twice from the same weights: without clipping and with global-norm clipping
                  at --max-norm. Writes OUT/clip.csv, OUT/clip_loss.png, OUT/clip_gradnorm.png.
        """;

    public int Run(Args args)
    {
        string outDir = args.String("out", "gradflow")!;
        int seed = args.Int("seed", 1, 0);
        bool clip = args.Positional.Count == 1 && args.Positional[0] == "clip";
        if (args.Positional.Count > 0 && !clip) throw new CliException($"unknown mode '{args.Positional[0]}': the only mode is 'clip'.");
        if (clip) return RunClip(args, outDir, (ulong)seed);
        if (args.Has("checkpoint")) return RunCheckpoint(args, outDir, (ulong)seed);
        return RunFresh(args, outDir, (ulong)seed);
    }

    private static int RunFresh(Args args, string outDir, ulong seed)
    {
        int T = args.Int("steps", 200, 2, 100_000);
        int B = args.Int("batch", 8, 1, 4096);
        int H = args.Int("hidden", 128, 1, 8192);
        int I = args.Int("input-size", 64, 1, 8192);
        string sigmaList = args.String("sigmas", "0.5,1,1.5,3,6")!;
        double? forgetBias = args.Has("forget-bias") ? args.Double("forget-bias", 0, -100, 100) : null;
        string? corpusPath = args.String("corpus");
        args.ThrowOnUnused(0);
        var sigmas = ParseList(sigmaList, "sigmas");

        double[] x;
        string inputs;
        if (corpusPath is not null)
        {
            var corpus = Corpus.Load(corpusPath);
            var vocab = Vocabulary.FromText(corpus.Text);
            I = vocab.Count;
            (x, _, _) = GradFlow.TokenInputs(vocab.Encode(corpus.Text), T, B, I, default, new Rng(seed + 5));
            inputs = $"one-hot characters of {corpusPath} (V = {I})";
        }
        else
        {
            x = GradFlow.RandomInputs(T, B, I, new Rng(seed + 5));
            inputs = $"standard normal inputs, I = {I}";
        }
        Console.WriteLine($"gradflow: T = {T}, B = {B}, H = {H}, {inputs}, seed {seed}; loss = random read-out of h_T");
        Console.WriteLine("initialisation: PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias"
            + (forgetBias is double fb ? $", LSTM forget-gate bias {fb.ToString(Inv)}" : ""));
        Console.WriteLine();

        var curves = GradFlow.CompareCells(x, T, B, I, H, seed, forgetBias is double f ? (float)f : null);
        PrintTable(curves, T);
        Directory.CreateDirectory(outDir);
        WriteCsv(Path.Combine(outDir, "gradflow.csv"), curves);
        Plot(curves, Path.Combine(outDir, "gradflow.png"), $"GRADIENT FLOW, T={T}, H={H}, PYTORCH INIT");
        Console.WriteLine();

        var sweep = GradFlow.SigmaSweep(x, T, B, I, H, seed, sigmas);
        Console.WriteLine("tanh RNN with W_hh rescaled (power iteration on W^T W):");
        Console.WriteLine($"  {"sigma_max",9}  {"max tanh'",9}  {"mean tanh'",10}  {"bound",8}  {"measured",9}  {"ratio@100",10}");
        foreach (var c in sweep)
            Console.WriteLine(string.Create(Inv,
                $"  {c.SigmaMax,9:F4}  {c.MaxTanhDerivative,9:F4}  {c.MeanTanhDerivative,10:F4}  {c.Bound,8:F4}  {c.Rate,9:F4}  {RatioAt(c, 100, T),10}"));
        Console.WriteLine("  bound = sigma_max * max tanh' (per step, from ||diag(tanh') W_hh|| <= sigma_max max tanh');");
        Console.WriteLine("  measured = 10^slope of the least-squares line through log10 ||dL/dh_t|| against T - t.");
        WriteCsv(Path.Combine(outDir, "gradflow_sigma.csv"), sweep);
        Plot(sweep, Path.Combine(outDir, "gradflow_sigma.png"), $"TANH RNN, W_HH SCALED, T={T}, H={H}");
        Console.WriteLine();
        Console.WriteLine($"wrote {Path.Combine(outDir, "gradflow.csv")}, gradflow.png, gradflow_sigma.csv, gradflow_sigma.png");
        return 0;
    }

    private static int RunCheckpoint(Args args, string outDir, ulong seed)
    {
        string run = args.String("checkpoint")!;
        int T = args.Int("steps", 200, 2, 100_000);
        int B = args.Int("batch", 8, 1, 4096);
        string? textPath = args.String("text");
        args.ThrowOnUnused(0);
        var loaded = CheckpointAccess.Load(run);
        if (loaded.Config.Highway)
            throw new CliException($"{run}: the model has highway connections between layers; gradient-flow analysis follows dL/dh through the cells alone and "
                + "does not support them.");
        int[] tokens;
        string source;
        if (textPath is not null)
        {
            tokens = TrainCommand.Encode(loaded.Vocabulary, Corpus.Load(textPath));
            source = textPath;
        }
        else
        {
            (tokens, source) = CheckpointAccess.ValidationTokens(loaded);
        }
        var model = loaded.Model;
        Console.WriteLine($"gradflow: checkpoint {run} ({model.Config.Cell}, {model.Config.Layers} x {model.Config.Hidden}), "
            + $"{B} windows of T = {T} from {source}; loss = cross-entropy of the next character after the window");
        Console.WriteLine();
        var curves = GradFlow.TrainedModel(model, tokens, T, B, new Rng(seed + 5));
        PrintTable(curves, T);
        Directory.CreateDirectory(outDir);
        WriteCsv(Path.Combine(outDir, "gradflow_checkpoint.csv"), curves);
        Plot(curves, Path.Combine(outDir, "gradflow_checkpoint.png"), $"TRAINED {model.Config.Cell.ToUpperInvariant()}, T={T}");
        Console.WriteLine();
        Console.WriteLine($"wrote {Path.Combine(outDir, "gradflow_checkpoint.csv")}, gradflow_checkpoint.png");
        return 0;
    }

    private static int RunClip(Args args, string outDir, ulong seed)
    {
        var o = new ClipDemoOptions
        {
            Iterations = args.Int("iters", 300, 1, 1_000_000),
            Sigma = args.Double("sigma", 3.0, 0.01, 1000),
            MaxNorm = (float)args.Double("max-norm", 1.0, 1e-6, 1e6),
            LearningRate = args.Double("lr", 0.5, 0, 1e6),
            SeqLength = args.Int("seq", 100, 1, 100_000),
            Batch = args.Int("batch", 16, 1, 4096),
            Hidden = args.Int("hidden", 128, 1, 8192),
            Seed = seed,
        };
        string? corpusPath = args.String("corpus");
        args.ThrowOnUnused(1);
        var corpus = corpusPath is null ? Corpus.TinyShakespeare() : Corpus.Load(corpusPath);
        var vocab = Vocabulary.FromText(corpus.Text);
        var tokens = vocab.Encode(corpus.Text);
        Console.WriteLine(string.Create(Inv,
            $"clip demo: 1-layer tanh RNN, H = {o.Hidden}, one-hot input (V = {vocab.Count}), W_hh scaled to sigma_max = {o.Sigma}, "
            + $"plain SGD lr {o.LearningRate}, T = {o.SeqLength}, B = {o.Batch}, {o.Iterations} iterations on {corpus.Source}"));
        var r = GradFlow.ClipDemo(tokens, vocab.Count, o);
        Console.WriteLine(string.Create(Inv, $"W_hh's largest singular value at PyTorch init was {r.SigmaBefore:F4}, rescaled to {o.Sigma}"));
        Console.WriteLine();
        Console.WriteLine($"  {"iteration",9}  {"loss (no clip)",14}  {"grad norm",10}  {"loss (clip " + o.MaxNorm.ToString(Inv) + ")",16}  {"grad norm",10}");
        int stride = Math.Max(1, o.Iterations / 15);
        for (int i = 0; i < o.Iterations; i += stride)
            Console.WriteLine(string.Create(Inv,
                $"  {i,9}  {r.LossNoClip[i],14:F4}  {r.GradNormNoClip[i],10:G4}  {r.LossClip[i],16:F4}  {r.GradNormClip[i],10:G4}"));
        int last = o.Iterations - 1;
        Console.WriteLine(string.Create(Inv,
            $"  {last,9}  {r.LossNoClip[last],14:F4}  {r.GradNormNoClip[last],10:G4}  {r.LossClip[last],16:F4}  {r.GradNormClip[last],10:G4}"));
        Console.WriteLine();
        double mean(double[] a) => a.Skip(Math.Max(0, a.Length - 20)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        Console.WriteLine(string.Create(Inv, $"mean loss of the last 20 iterations: no clip {mean(r.LossNoClip):F4}, clip {mean(r.LossClip):F4}"));
        Console.WriteLine(string.Create(Inv,
            $"largest gradient norm: no clip {r.GradNormNoClip.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max():G4}, clip (before clipping) "
            + $"{r.GradNormClip.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max():G4}"));
        if (r.DivergedAtNoClip >= 0) Console.WriteLine($"the unclipped run diverged (non-finite loss or gradient) at iteration {r.DivergedAtNoClip}");
        if (r.DivergedAtClip >= 0) Console.WriteLine($"the clipped run diverged at iteration {r.DivergedAtClip}");

        Directory.CreateDirectory(outDir);
        var sb = new StringBuilder("iteration,loss_noclip,gradnorm_noclip,loss_clip,gradnorm_clip\n");
        for (int i = 0; i < o.Iterations; i++)
            sb.Append(string.Create(Inv, $"{i},{r.LossNoClip[i]:R},{r.GradNormNoClip[i]:R},{r.LossClip[i]:R},{r.GradNormClip[i]:R}\n"));
        Recur.IO.AtomicFile.WriteAllBytes(Path.Combine(outDir, "clip.csv"), Encoding.UTF8.GetBytes(sb.ToString()));
        var its = Enumerable.Range(0, o.Iterations).Select(i => (double)i).ToArray();
        var lp = new LinePlot(900, 520) { Title = string.Create(Inv, $"TANH RNN, SIGMA {o.Sigma}, SGD LR {o.LearningRate}: TRAINING LOSS"),
            XLabel = "ITERATION", YLabel = "LOSS (NATS/CHAR)" };
        lp.AddLine("NO CLIPPING", its, r.LossNoClip);
        lp.AddLine(string.Create(Inv, $"CLIP NORM {o.MaxNorm}"), its, r.LossClip);
        lp.SavePng(Path.Combine(outDir, "clip_loss.png"));
        var gp = new LinePlot(900, 520) { Title = "GLOBAL GRADIENT NORM (BEFORE CLIPPING)", XLabel = "ITERATION", YLabel = "NORM", LogY = true };
        gp.AddLine("NO CLIPPING", its, r.GradNormNoClip);
        gp.AddLine(string.Create(Inv, $"CLIP NORM {o.MaxNorm}"), its, r.GradNormClip);
        gp.SavePng(Path.Combine(outDir, "clip_gradnorm.png"));
        Console.WriteLine($"wrote {Path.Combine(outDir, "clip.csv")}, clip_loss.png, clip_gradnorm.png");
        return 0;
    }

    private static string RatioAt(GradFlowCurve c, int d, int T) =>
        d < T ? c.Ratio(d).ToString("E2", Inv) : "-";

    private static void PrintTable(IReadOnlyList<GradFlowCurve> curves, int T)
    {
        Console.WriteLine($"  {"curve",-20}  {"log10 norm at T-t = 0",21}  {"10",7}  {"50",7}  {"100",8}  {"199",8}  {"per-step factor",15}");
        foreach (var c in curves)
        {
            string At(int d) => d < T ? c.Log10Norm[d].ToString("F2", Inv) : "-";
            Console.WriteLine(string.Create(Inv, $"  {c.Name,-20}  {At(0),21}  {At(10),7}  {At(50),7}  {At(100),8}  {At(199),8}  {c.Rate,15:F4}"));
        }
        var rnn = curves.FirstOrDefault(c => c.Name == "rnn-tanh");
        var lstm = curves.FirstOrDefault(c => c.Name == "lstm h");
        var lstm1 = curves.FirstOrDefault(c => c.Name == "lstm h, f-bias 1");
        if (rnn is not null && lstm is not null && T > 100)
        {
            string extra = lstm1 is null ? "" : string.Create(Inv, $", {lstm1.Ratio(100):E2} (lstm, forget bias 1)");
            Console.WriteLine(string.Create(Inv,
                $"  at distance 100: ||dL/dh_t|| / ||dL/dh_T|| = {rnn.Ratio(100):E2} (rnn-tanh), {lstm.Ratio(100):E2} (lstm), "
                    + $"{curves.First(c => c.Name == "gru").Ratio(100):E2} (gru){extra}"));
        }
        if (rnn is not null)
            Console.WriteLine(string.Create(Inv,
                $"  rnn-tanh: sigma_max(W_hh) = {rnn.SigmaMax:F4}, max tanh' = {rnn.MaxTanhDerivative:F4}, bound {rnn.Bound:F4} per step, "
                    + $"measured {rnn.Rate:F4}"));
    }

    private static void WriteCsv(string path, IReadOnlyList<GradFlowCurve> curves)
    {
        var sb = new StringBuilder("distance");
        foreach (var c in curves) sb.Append(',').Append(c.Name.Replace(' ', '_').Replace(',', '_')).Append("_log10norm");
        sb.Append('\n');
        int n = curves.Max(c => c.Log10Norm.Length);
        for (int d = 0; d < n; d++)
        {
            sb.Append(d.ToString(Inv));
            foreach (var c in curves) sb.Append(',').Append(d < c.Log10Norm.Length ? c.Log10Norm[d].ToString("R", Inv) : "");
            sb.Append('\n');
        }
        Recur.IO.AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    private static void Plot(IReadOnlyList<GradFlowCurve> curves, string path, string title)
    {
        var p = new LinePlot(900, 560) { Title = title, XLabel = "DISTANCE T-t (STEPS)", YLabel = "LOG10 NORM OF DL/DH(t)" };
        foreach (var c in curves)
        {
            var d = Enumerable.Range(0, c.Log10Norm.Length).Select(i => (double)i).ToArray();
            p.AddLine(c.Name.ToUpperInvariant(), d, c.Log10Norm);
        }
        p.SavePng(path);
    }

    private static double[] ParseList(string s, string name)
    {
        var r = new List<double>();
        foreach (var part in s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, Inv, out double v) || !(v > 0) || double.IsInfinity(v))
                throw new CliException($"--{name} takes positive numbers separated by commas, got '{part}'.");
            r.Add(v);
        }
        if (r.Count == 0) throw new CliException($"--{name} is empty.");
        return r.ToArray();
    }
}

/// <summary>Loads a trained character model and its validation text for the analysis commands.</summary>
internal static class CheckpointAccess
{
    public static LoadedCheckpoint Load(string run) => CharCheckpoint.Read(run);

    /// <summary>The validation split of the text the run was trained on, as the run split it.</summary>
    public static (int[] Tokens, string Source) ValidationTokens(LoadedCheckpoint loaded)
    {
        var data = loaded.Data ?? throw new CliException($"{loaded.Directory} records no training text; pass the text to analyse.");
        Corpus corpus;
        if (data.Source.StartsWith("embedded:", StringComparison.Ordinal)) corpus = Corpus.TinyShakespeare();
        else if (File.Exists(data.Source)) corpus = Corpus.Load(data.Source);
        else throw new CliException($"the run was trained on {data.Source}, which is not there any more; pass the text to analyse.");
        var tokens = TrainCommand.Encode(loaded.Vocabulary, corpus);
        double val = loaded.Training?.ValFrac ?? 0.1, test = loaded.Training?.TestFrac ?? 0;
        if (!(val > 0)) return (tokens, $"{data.Source} (the run has no validation split: the whole text)");
        var split = DataSplits.Create(tokens, val, test);
        return (split.Val.ToArray(), $"the validation split of {data.Source}");
    }
}
