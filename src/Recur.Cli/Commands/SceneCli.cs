using Recur.IO;
using Recur.Models;
using Recur.Tasks.Classify;

namespace Recur.Cli.Commands;

/// <summary>What <c>recur caption train</c> and <c>recur vqa train</c> share: the frozen encoder, <c>--encoder CNN_RUN</c>.</summary>
internal static class SceneCli
{
    public const string EncoderUsage = """
        encoder
          --encoder DIR             the CNN run (recur classify --model cnn); required for a new run, copied into the checkpoints
        """;

    /// <summary>
    /// The settings hook of <see cref="TaskCli.Train"/> for a run on scenes: a new run's settings get the convolutional
    /// classifier of <c>--encoder</c> (<paramref name="with"/> sets it); a resumed run keeps its own.
    /// </summary>
    public static Func<T, T> Encoder<T>(Args args, string command, Func<T, ConvNet, T> with)
    {
        string? run = args.String("encoder");
        bool resume = args.Has("resume");
        return settings =>
        {
            if (resume) { Console.WriteLine("encoding the scenes ..."); return settings; }
            var cnn = Encoder(run, command);
            Console.WriteLine($"encoding the scenes with {cnn.Summary} from {run} ...");
            return with(settings, cnn);
        };
    }

    /// <summary>The convolutional classifier of <paramref name="run"/>, or a one-line error.</summary>
    public static ConvNet Encoder(string? run, string command)
    {
        if (run is null) throw new CliException($"{command} needs --encoder CNN_RUN, a run of recur classify --model cnn (or --resume RUN).");
        LoadedClassifier enc;
        try { enc = ClassifierCheckpoint.Instance.Load(run, CheckpointKind.Best); }
        catch (CheckpointFormatException e)
        {
            throw new CliException($"--encoder: {e.Message} The encoder is a run of recur classify --model cnn.", 1);
        }
        return enc.Model as ConvNet
            ?? throw new CliException($"{enc.Directory}: the encoder must be a convolutional classifier (recur classify --model cnn), "
                + $"not {enc.Model.Summary}.");
    }
}
