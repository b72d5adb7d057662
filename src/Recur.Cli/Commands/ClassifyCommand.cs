using Recur.Data;
using Recur.IO;
using Recur.Tasks.Classify;

namespace Recur.Cli.Commands;

/// <summary><c>recur classify [DIR]</c>: many-to-one classification of Fashion-MNIST images read row by row.</summary>
internal sealed class ClassifyCommand : ICommand
{
    public string Name => "classify";
    public string Summary => "classify Fashion-MNIST images: read as sequences of rows (many-to-one), or by a CNN (--model cnn)";
    public string Usage => UsageText + "\n" + TaskCli.OptionsUsage(ClassifyDefinition.Instance,
        new Dictionary<string, string> { ["eval-every"] = "or once per epoch when not given", ["val-frac"] = "the last 5,000 of 60,000 training images" });

    private const string UsageText = """
        usage: recur classify [DIR] [options]
               recur classify --resume RUN [DIR] [--max-iters N]
               recur classify eval RUN [DIR] [--split validation|test] [--latest] [--threads N]   (also: recur eval RUN)

        Trains a recurrent classifier on Fashion-MNIST read as sequences (the lectures' sequential processing
        of non-sequence data): each 28x28 image is 28 time steps of 28-pixel rows, and the last hidden state
        goes through a linear layer to the 10 classes. The last --val-frac of the training images are held out for
        validation, which chooses best/; at the end best/ is scored on them: accuracy, the confusion matrix,
        misclassified.png and eval.json in the run folder. eval scores a run's best/ (latest/ with --latest) the same
        way on its validation images (--split test: the test images, for the published figure, once).
        --model cnn trains a convolutional network instead (the encoder image captioning starts from):
        --layers stages of 3x3 convolutions (32, 64, 128, ... channels) each with ReLU and 2x2 max pooling,
        then a fully connected layer of --hidden units with ReLU, dropout before and after it, and the head.
        DIR holds the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
        t10k-labels-idx1-ubyte (each may be .gz); default /usr/share/datasets/fashion-mnist, installed by
        apt-get install dataset-fashion-mnist.

        Ctrl-C saves latest/ and exits (code 130); resume with --resume DIR.
        """;

    public int Run(Args args)
    {
        if (args.Positional.Count > 0 && args.Positional[0] == "eval") return ClassifyEval.Eval(args, 1);
        var (exit, run, dir) = TaskCli.Train(args, ClassifyDefinition.Instance, positional: 1, dataArg: 0);
        if (exit is int code) return code;
        var best = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        ClassifyEval.Report(best, dir, "validation");
        return 0;
    }

    internal static (LabeledImages Train, LabeledImages Test) LoadData(string dir)
    {
        try { return FashionMnist.Load(dir); }
        catch (IdxFormatException e) { throw new CliException(e.Message, 1); }
        catch (DirectoryNotFoundException e) { throw new CliException(e.Message, 1); }
        catch (FileNotFoundException e) { throw new CliException(e.Message, 1); }
    }
}
