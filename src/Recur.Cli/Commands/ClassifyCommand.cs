using System.Globalization;
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

        Trains a recurrent classifier on Fashion-MNIST read as sequences (the lectures' sequential processing
        of non-sequence data): each 28x28 image is 28 time steps of 28-pixel rows, and the last hidden state
        goes through a linear layer to the 10 classes. At the end the best checkpoint is scored on the test
        images: accuracy, the confusion matrix, and misclassified.png in the run folder.
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
        var (exit, run, dir) = TaskCli.Train(args, ClassifyDefinition.Instance, positional: 1, dataArg: 0);
        if (exit is int code) return code;
        var best = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best);
        best.Model.Threads = best.Training?.EffectiveThreads ?? 1;
        ClassifierReport.Print(best, LoadData(dir).Test, run);
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

/// <summary>The test-set report of a classifier: accuracy, the confusion matrix and the misclassified picture.</summary>
internal static class ClassifierReport
{
    public static void Print(LoadedClassifier ck, LabeledImages test, string pictureFolder)
    {
        var s = ClassifyTask.Score(ck.Model, test);
        var names = ck.ClassNames;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"test: {test.Count:N0} images, accuracy {s.Accuracy:F4}, loss {s.Loss:F4} nats ({ck.Directory})"));
        int K = names.Count, w = names.Max(n => n.Length) + 5;
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        Console.WriteLine(new string(' ', w) + string.Concat(Enumerable.Range(0, K).Select(k => k.ToString(inv).PadLeft(6))) + "  recall");
        for (int i = 0; i < K; i++)
        {
            long row = 0;
            for (int j = 0; j < K; j++) row += s.Confusion[i, j];
            string recall = row == 0 ? "-" : ((double)s.Confusion[i, i] / row).ToString("F3", inv);
            Console.WriteLine($"{i,2} {names[i]}".PadRight(w)
                + string.Concat(Enumerable.Range(0, K).Select(j => s.Confusion[i, j].ToString(inv).PadLeft(6))) + "  " + recall);
        }
        var png = Misclassified.Png(test, s.Predicted, names);
        if (png is not null)
        {
            string path = Path.Combine(pictureFolder, "misclassified.png");
            AtomicFile.WriteAllBytes(path, png);
            Console.WriteLine($"misclassified examples: {path}");
        }
    }
}
