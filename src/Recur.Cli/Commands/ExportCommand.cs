using Recur.Export;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Tasks.Classify;

namespace Recur.Cli.Commands;

/// <summary><c>recur export RUN --onnx FILE</c>: a trained model as an ONNX graph for other runtimes.</summary>
internal sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "export a trained model as ONNX (character models with LSTM/GRU/RNN layers, classifiers)";
    public string Usage => """
        usage: recur export RUN --onnx FILE [--latest]

        Writes the run's best checkpoint (latest/ with --latest) as an ONNX model (opset 13) that ONNX Runtime and
        other ONNX runtimes load. A character model (cells lstm, gru, gru-cho, rnn, rnn-relu): inputs tokens int64
        [T, B], h0 (and c0 for an LSTM) float [L, B, H]; outputs logits [T, B, V], hn (and cn): with T = 1 it is one
        sampling step, state in and state out. A classifier (recur classify): input x [T, B, 28] for a recurrent one or
        [B, 1, 28, 28] for --model cnn; output logits [B, 10]. See docs/EXPORT.md for Python and C# examples.
        """;

    public int Run(Args args)
    {
        string? onnx = args.String("onnx");
        bool latest = args.Flag("latest");
        args.ThrowOnUnused(1);
        if (args.Positional.Count == 0) throw new CliException("name a run: recur export RUN --onnx FILE.");
        if (onnx is null) throw new CliException("say where to write the model: --onnx FILE.");
        var prefer = latest ? CheckpointKind.Latest : CheckpointKind.Best;
        string task = CheckpointFiles.TaskOf(args.Positional[0], prefer);
        byte[] bytes;
        try
        {
            bytes = task == ClassifyTask.TaskName
                ? OnnxExport.Classifier(ClassifierCheckpoint.Instance.Load(args.Positional[0], prefer).Model)
                : task == CharCheckpoint.TaskName
                    ? OnnxExport.Char(CharCheckpoint.Read(args.Positional[0], prefer).Model)
                    : throw new CliException($"a {task} run has no ONNX export yet; character models and classifiers do.");
        }
        catch (NotSupportedException e) { throw new CliException(e.Message, 1); }
        AtomicFile.WriteAllBytes(onnx, bytes);
        Console.WriteLine($"wrote {onnx} ({bytes.Length:N0} bytes)");
        return 0;
    }
}
