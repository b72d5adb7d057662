using System.Diagnostics;
using Recur.Models.Draw;
using Recur.Nn;
using Recur.Tasks.Draw;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Where DRAW's training step (issue 29, the draw-speed model: 28x28, T 32, LSTMs 256, latent 100, read and write 5x5 with
/// attention, batch 64, 1 thread) spends its time: the whole step, its forward, and each part alone on random inputs of the
/// same sizes (the attention read and write forward and backward over 32 steps, the filterbanks, both LSTM cells, clipping
/// and Adam), in ms; and the encoder's <c>dW_ih</c> as 32 thin products (K = B) against one over all steps (K = T B), and its
/// <c>dx</c> with the weight packed per call against packed once. Wall time and the process's CPU time (less disturbed by
/// other work on the machine), the least and the median of <c>--reps</c>.
/// </summary>
internal static class DrawProfile
{
    public static int Run(string[] args)
    {
        int reps = int.Parse(TorchRef.Option(args, "--reps", "5")), B = 64;
        bool stepOnly = TorchRef.Option(args, "--step-only", "false") == "true";
        var config = new DrawSettings { Attention = true }.ToConfig(DrawDefinition.Instance.Defaults.Hidden, 28, 28);
        int T = config.Steps, P = config.Pixels, Hd = config.DecoderHidden, Z = config.Latent, I = config.EncoderInput;
        var rng = new Rng(1);
        var m = new DrawModel(config) { Threads = 1 };
        m.Reset(rng);
        var adam = new Adam(m.Store, 1e-3);
        var x = new Tensor(B, P);
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = rng.NextFloat() < 0.5f ? 1f : 0f;
        var eps = m.Noise(rng, B);
        Report("whole step", reps, () =>
        {
            m.Store.ZeroGrad();
            m.Forward(x, eps);
            m.Backward();
            GradClip.ClipByNorm(m.Store.Grads, 5f, 1);
            adam.Step();
        });
        if (stepOnly) return 0;
        Report("forward", reps, () => m.Forward(x, eps));
        Report("clip + Adam + zero", reps, () =>
        {
            GradClip.ClipByNorm(m.Store.Grads, 5f, 1);
            adam.Step();
            m.Store.ZeroGrad();
        });

        var store = new ParameterStore();
        var reader = new AttentionReader(store, 28, 28, config.ReadN, Hd);
        var writer = new AttentionWriter(store, 28, 28, config.WriteN, Hd);
        reader.Reset(rng); writer.Reset(rng);
        reader.Begin(T, B); writer.Begin(T, B);
        float[] Rand(int n, float s) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = s * rng.NextGaussian(); return a; }
        float[] xHat = Rand(B * P, 0.5f), h = Rand(B * Hd, 0.3f), r = new float[B * I], dr = Rand(B * I, 0.01f);
        float[] canvas = new float[B * P], dCanvas = Rand(B * P, 0.01f), dxHat = new float[B * P], dh = new float[B * Hd];
        Report("read forward x32", reps, () => { for (int t = 0; t < T; t++) reader.Forward(t, x.Data, xHat, h, r, I); });
        Report("read backward x32", reps, () => { for (int t = 0; t < T; t++) reader.Backward(t, x.Data, xHat, h, r, dr, I, dxHat, dh); });
        Report("write forward x32", reps, () => { for (int t = 0; t < T; t++) writer.Forward(t, h, canvas); });
        Report("write backward x32", reps, () => { for (int t = 0; t < T; t++) writer.Backward(t, h, dCanvas, dh); });

        var f = new float[config.ReadN * 28];
        var df = Rand(f.Length, 0.01f);
        int banks = 4 * T * B;
        Report($"filterbank forward x{banks}", reps, () => { for (int i = 0; i < banks; i++) Filterbank.Forward(14.5f, 2f, 1.5f, 5, 28, f); });
        Report($"filterbank backward x{banks}", reps, () => { for (int i = 0; i < banks; i++) Filterbank.Backward(f, df, 14.5f, 2f, 1.5f, 5, 28); });

        {
            int G = 4 * Hd, TB = T * B;
            float[] dg = Rand(TB * G, 0.01f), xs = Rand(TB * I, 1f), gw = new float[G * I], wv = Rand(G * I, 0.05f), dxs = new float[B * I];
            var packed = Kernels.Gemm.PackB(false, G, I, wv, I);
            Report("dW_ih 32 thin", reps, () =>
            {
                for (int t = 0; t < T; t++)
                    Kernels.Gemm.Sgemm(true, false, G, I, B, 1f, dg.AsSpan(t * B * G, B * G), G, xs.AsSpan(t * B * I, B * I), I, 1f, gw, I);
            });
            Report("dW_ih 1 thick", reps, () => Kernels.Gemm.Sgemm(true, false, G, I, TB, 1f, dg, G, xs, I, 1f, gw, I));
            Report("dx 32 unpacked", reps, () =>
            {
                for (int t = 0; t < T; t++) Kernels.Gemm.Sgemm(false, false, B, I, G, 1f, dg.AsSpan(t * B * G, B * G), G, wv, I, 0f, dxs, I);
            });
            Report("dx 32 packed", reps, () =>
            {
                for (int t = 0; t < T; t++) Kernels.Gemm.Sgemm(false, B, 1f, dg.AsSpan(t * B * G, B * G), G, packed, 0f, dxs, I);
            });
        }

        foreach (var (name, input) in new[] { ("encoder", I), ("decoder", Z) })
        {
            var cell = new UnrolledLstmCell(store, name, input, Hd);
            cell.Reset(rng);
            cell.Begin(T, B);
            float[] dIn = new float[B * input], dPrev = new float[B * Hd];
            Report(name + " LSTM forward x32", reps, () => { for (int t = 0; t < T; t++) cell.Step(t); });
            Report(name + " LSTM backward x32", reps, () =>
            {
                cell.BeginBackward();
                for (int t = T - 1; t >= 0; t--) cell.StepBackward(t, h, dIn, dPrev);
                cell.EndBackward();
            });
        }
        return 0;
    }

    private static void Report(string name, int reps, Action a)
    {
        a();
        var times = new double[reps];
        var cpu = new double[reps];
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < reps; i++)
        {
            process.Refresh();
            var c0 = process.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            a();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - c0).TotalMilliseconds;
        }
        Array.Sort(times);
        Array.Sort(cpu);
        Console.WriteLine($"{name,-26} min {times[0],8:F2} ms, median {times[reps / 2],8:F2} ms; "
            + $"CPU time min {cpu[0],8:F2} ms, median {cpu[reps / 2],8:F2} ms");
    }
}
