namespace Recur.Bench;

/// <summary>Benchmark entry point: <c>dotnet run -c Release --project bench/Recur.Bench -- &lt;name&gt; [options]</c>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: Recur.Bench <benchmark> [options]\n"
                + "  gemm [--quick] [--threads 1,2] [--isa avx512|avx2|portable] [--no-openblas] [--only NAME]\n"
                + "  gemm-dispatch\n"
                + "  sample [--no-pytorch]\n"
                + "  minchar [--iters N] [--rounds N] [--no-numpy]\n"
                + "  cells [--models gru,mingru] [--hidden 512] [--layers 2] [--batch 32] [--seq 256] [--iters 3] [--rounds 5] [--threads 2]\n"
                + "  caption-speed [--iters 20] [--rounds 3] [--threads 2] [--batch 64] [--hidden 256]\n"
                + "  seq-speed --model tag|g2p [--iters 20] [--rounds 3] [--threads 2] [--batch 32] [--torch false] [--recipe true]\n"
                + "  draw-speed [--attention true|false|both] [--iters 10] [--rounds 3] [--threads 1] [--batch 64] [--torch2 true|false]\n"
                + "  draw-profile [--reps 5]\n"
                + "  video-speed [--model lstm|average|middle] [--iters 50] [--rounds 3] [--threads 1] [--batch 64] [--frames 16] [--features 250] "
                + "[--torch2 true|false]\n"
                + "  video-oracle RUN [FASHION_DIR] [--split validation|test]\n"
                + "  glimpse-oracle [FASHION_DIR] [--mode centre|quad] [--minutes 10] [--size 100]\n"
                + "  glimpse-speed [--iters 50] [--rounds 3] [--threads 1] [--batch 64] [--lr 1e-3] [--torch2 true|false]\n"
                + "  dialog-speed [--history hre|memory|none] [--hops 2] [--iters 20] [--rounds 3] [--threads 1] [--batch 32] [--dialog-rounds 6] "
                + "[--torch2 true|false]\n"
                + "  kill-trials [--trials 100] [--seed 1]\n"
                + "  board [--runs 1000] [--lines 1000000]\n"
                + "  fuzz [--cases 10000] [--seed 1] [--only READER]\n"
                + "  pytorch-transfer [--rounds 5]\n"
                + "  soak [--minutes 60] [--eval-every 100] [--every 10] [--threads 1] [--out bench/results/soak] [--cli Recur.Cli.dll]");
            return 2;
        }
        switch (args[0])
        {
            case "gemm":
                return GemmBench.Run(args[1..]);
            case "gemm-dispatch":
                return GemmDispatchBench.Run(args[1..]);
            case "board":
                return BoardBench.Run(args[1..]);
            case "race":
                return RaceBench.Run(args[1..]);
            case "lstm-step":
                return LstmStepBench.Run(args[1..]);
            case "lstm-step-one":
                return LstmStepBench.RunOne(args[1..]);
            case "sample":
                return SampleBench.Run(args[1..]);
            case "minchar":
                return MinCharBench.Run(args[1..]);
            case "cell-profile":
                return CellProfile.Run(args[1..]);
            case "context":
                return ContextCostBench.Run(args[1..]);
            case "cells":
                return CellSpeedBench.Run(args[1..]);
            case "caption-speed":
                return CaptionSpeedBench.Run(args[1..]);
            case "seq-speed":
                return SequenceSpeedBench.Run(args[1..]);
            case "draw-speed":
                return DrawSpeedBench.Run(args[1..]);
            case "draw-profile":
                return DrawProfile.Run(args[1..]);
            case "video-speed":
                return VideoSpeedBench.Run(args[1..]);
            case "video-oracle":
                return VideoOracleBench.Run(args[1..]);
            case "race-translate":
                return TranslateRaceBench.Run(args[1..]);
            case "glimpse-oracle":
                return GlimpseOracleBench.Run(args[1..]);
            case "glimpse-speed":
                return GlimpseSpeedBench.Run(args[1..]);
            case "dialog-speed":
                return DialogSpeedBench.Run(args[1..]);
            case "kill-trials":
                return KillTrialsBench.Run(args[1..]);
            case "fuzz":
                return FuzzBench.Run(args[1..]);
            case "pytorch-transfer":
                return PyTorchTransferBench.Run(args[1..]);
            case "soak":
                return SoakBench.Run(args[1..]);
            default:
                Console.Error.WriteLine($"unknown benchmark '{args[0]}'; known: gemm, gemm-dispatch, lstm-step, sample, minchar, cells, cell-profile, context, "
                    + "caption-speed, seq-speed, draw-speed, draw-profile, video-speed, video-oracle, glimpse-oracle, glimpse-speed, dialog-speed, "
                    + "kill-trials, fuzz, pytorch-transfer, soak");
                return 2;
        }
    }
}
