using System.Diagnostics;
using Recur.Data;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Models;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// <c>pytorch-transfer</c>: seconds to export a run to a PyTorch package (<see cref="PyTorchExport"/>) and to import the
/// package back (<see cref="PyTorchImport"/> plus loading the result and its training state, as <c>recur import</c>
/// checks it), for a 2-layer LSTM character model of hidden 512 (embedding 64, vocabulary 65, the bundled
/// tiny-shakespeare as its text) with Adam's moments and the weight average's training weights in its state. The
/// goal (issue 31) is under 2 s each; best of --rounds.
/// </summary>
internal static class PyTorchTransferBench
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 && args[0] == "--rounds" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        string dir = Directory.CreateTempSubdirectory("recur-pytorch-transfer-").FullName;
        try
        {
            var corpus = Corpus.TinyShakespeare();
            var vocab = Vocabulary.FromText(corpus.Text);
            var model = new CharModel(new CharModelConfig { Cell = "lstm", VocabSize = vocab.Count, Embed = 64, Hidden = 512, Layers = 2 });
            model.Reset(new Rng(1));
            int P = model.Store.Count;
            var state = new TrainingState
            {
                OptimizerName = "adam", OptimizerSteps = 1000, RngState = new Rng(2).State, Iteration = 1000,
                OptimizerBuffers = new Dictionary<string, float[]> { ["exp_avg"] = Filled(P, 3), ["exp_avg_sq"] = Filled(P, 4) },
                TrainLosses = new double[1000], ValIterations = [], ValLosses = [], TrainWeights = Filled(P, 5),
            };
            string run = Path.Combine(dir, "run");
            CharCheckpoint.Save(Path.Combine(run, "latest"), model, vocab, new TrainOptions { Hidden = 512, Layers = 2, Embed = 64, Ema = 0.999 },
                new CheckpointProgress(1000, 1.0, 1.5, 1.6, 1.6, 60), new DataInfo(Corpus.EmbeddedSource, corpus.Text.Length, "0"), state);
            Console.WriteLine($"2 x 512 LSTM character model, {P:N0} parameters ({P * 4.0 / (1 << 20):F1} MB of weights, 3x that of state)");
            double export = double.MaxValue, import = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                string pkg = Path.Combine(dir, $"pkg{r}"), back = Path.Combine(dir, $"back{r}");
                var clock = Stopwatch.StartNew();
                PyTorchExport.Write(run, pkg, CheckpointKind.Latest);
                export = Math.Min(export, clock.Elapsed.TotalSeconds);
                Directory.CreateDirectory(back);
                clock.Restart();
                PyTorchImport.FromPackage(pkg, back);
                var loaded = CharCheckpoint.Read(back);
                TrainingState.Read(Path.Combine(back, CheckpointFiles.StateFile), loaded.Model.Store.Count);
                import = Math.Min(import, clock.Elapsed.TotalSeconds);
            }
            string goal = export < 2 && import < 2 ? "met" : "NOT met";
            Console.WriteLine($"export {export:F3} s, import {import:F3} s (best of {rounds}; goal under 2 s each: {goal})");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static float[] Filled(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextFloat();
        return a;
    }
}
