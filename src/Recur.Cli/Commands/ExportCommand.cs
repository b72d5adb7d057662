using Recur.Export;
using Recur.Export.PyTorch;
using Recur.IO;
using Recur.Tasks;

namespace Recur.Cli.Commands;

/// <summary>
/// <c>recur export RUN --onnx FILE</c>: a trained model as an ONNX graph for other runtimes; <c>recur export RUN --pytorch DIR</c>:
/// the run as a self-contained PyTorch package that continues training (docs/SCALE.md).
/// </summary>
internal sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "export a trained model as ONNX, or as a PyTorch package that continues training under torchrun (--pytorch DIR)";
    public string Usage => """
        usage: recur export RUN --onnx FILE [--latest]
               recur export RUN --pytorch DIR [--latest] [--data PATH]

        --onnx FILE: writes the run's best checkpoint (latest/ with --latest) as ONNX (opset 13, or 17 for the step
        graphs) that ONNX Runtime and other ONNX runtimes load. A character model with lstm, gru, gru-cho, rnn, rnn-relu
        layers: inputs tokens int64 [T, B], h0 (and c0 for an LSTM) float [L, B, H]; outputs logits [T, B, V], hn (and cn):
        with T = 1 it is one sampling step. Every other cell and the blocks mingru-res, minlstm-res, rwkv, lru, mamba: a
        one-step graph, tokens [1, B] and each carried state {name}0 [L, B, ...] to logits [1, B, V] and {name}n. The
        Transformer: a whole-sequence graph (causal mask), tokens [T <= context, B] to logits. A classifier (recur
        classify): x [T, B, 28] or [B, 1, 28, 28] (--model cnn) to logits [B, 10]. A captioner writes NAME-encoder.onnx
        (images to features), NAME-start.onnx (features to h0, c0) and NAME-step.onnx (features, previous word, state to
        logits, attention, state); g2p and translate's attention LSTM write NAME-encoder.onnx and NAME-step.onnx. See
        docs/EXPORT.md for the inputs and outputs and Python and C# examples.

        --pytorch DIR: writes a self-contained Python package for plain PyTorch (1.13; no other dependency): model.py (the
        model as torch.nn modules whose state-dict names and shapes are Recur's: every cell and block), weights.safetensors,
        train_state.safetensors (the optimizer's moments and step, the data position, the carried state), config.json,
        the data (a character model: vocab.json and text.txt; a classifier: its data folder's path, or --data), data.py,
        train.py (continues training: python3 -m torch.distributed.run --nproc_per_node N train.py --iters K), eval.py and
        sample.py (a character model). Bring the result back with recur import DIR --into RUN. Character models,
        classifiers and captioners (with their encoder and scenes.safetensors); taggers, g2p and translate models with
        train_set.safetensors (the training sentences or pairs as ids, made from the run's corpus, dictionary or
        catalogues, or --data PATH); docs/SCALE.md lists the families and what does not transfer.

        Runs of vqa, dialog, video, glimpse and draw export model.py, eval.py and eval_set.safetensors: the validation
        inputs recur TASK eval scores (scenes, questions, dialogs, clips, canvases, DRAW's noise), made by Recur from the
        run's Fashion-MNIST folder (or --data FOLDER); eval.py scores them as recur TASK eval does. vqa, dialog and video
        also get train_set.safetensors and train.py, draw a train.py over the IDX files, glimpse the training canvases
        of the checkpoint's epoch and a train.py that stops at its end (REINFORCE's draws from Recur's stream). A sentiment
        run gets both sets, its validation and training reviews as ids, from its reviews file (or --data FILE).
        """;

    public int Run(Args args)
    {
        string? onnx = args.String("onnx");
        string? pytorch = args.String("pytorch");
        string? data = args.String("data");
        bool latest = args.Flag("latest");
        args.ThrowOnUnused(1);
        if (args.Positional.Count == 0) throw new CliException("name a run: recur export RUN --onnx FILE, or recur export RUN --pytorch DIR.");
        if (onnx is null == pytorch is null) throw new CliException("say what to write: --onnx FILE or --pytorch DIR (one of them).");
        var prefer = latest ? CheckpointKind.Latest : CheckpointKind.Best;
        if (pytorch is not null) return WritePyTorch(args.Positional[0], pytorch, prefer, data);
        if (data is not null) throw new CliException("--data applies to --pytorch only.");
        IReadOnlyList<OnnxFile> files;
        try { files = OnnxRunFiles.Of(args.Positional[0], prefer, onnx!); }
        catch (NotSupportedException e) { throw new CliException(e.Message, 1); }
        foreach (var f in files)
        {
            AtomicFile.WriteAllBytes(f.Path, f.Bytes);
            Console.WriteLine($"wrote {f.Path} ({f.Bytes.Length:N0} bytes): {f.What}");
        }
        return 0;
    }

    private static int WritePyTorch(string run, string folder, CheckpointKind prefer, string? data)
    {
        PyTorchExportResult r;
        try { r = PyTorchExport.Write(run, folder, prefer, data, TaskDataSets.Make); }
        catch (NotSupportedException e) { throw new CliException(e.Message, 1); }
        Console.WriteLine($"wrote {folder}: a PyTorch package of the {r.Task} run ({r.Files.Count} files, {r.Seconds:F2} s): {string.Join(", ", r.Files)}");
        if (r.Files.Contains("train.py"))
            Console.WriteLine($"continue it: cd {folder} && python3 -m torch.distributed.run --nproc_per_node 2 train.py --iters 100; "
                + $"bring it back: recur import {folder} --into RUN");
        else Console.WriteLine($"score it: cd {folder} && python3 eval.py (no train.py for a {r.Task} run yet); "
            + $"bring it back: recur import {folder} --into RUN");
        return 0;
    }
}
