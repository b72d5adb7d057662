using Recur.IO;
using Recur.Models;
using Recur.Tasks.Classify;
using Recur.Tasks.Scenes;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary>
/// The encoder of a captioning or VQA run given no <c>--encoder</c>: <see cref="EncoderRecipe"/> trained once into
/// <c>ENCODERS/cnn-vVERSION-COUNT-CHECKSUM</c> and reused by every later run on the same images.
/// </summary>
internal static class DefaultEncoder
{
    /// <summary>
    /// The default encoder for the images in <paramref name="dataDir"/>, trained now unless one is kept in <paramref name="root"/>,
    /// with the seconds training it took (0 when reused).
    /// </summary>
    public static (ConvNet Encoder, string Run, double Seconds) Get(string dataDir, string root, int threads)
    {
        var task = ClassifyDefinition.Instance;
        ClassifyData data;
        try { data = task.LoadData(dataDir); }
        catch (Exception e) when (e is InvalidDataException or IOException) { throw new CliException(e.Message, 1); }
        string source = task.SourceOf(dataDir);
        string folder = EncoderRecipe.Folder(root, task.DataOf(data, source));
        if (Directory.Exists(Path.Combine(folder, "best")))
        {
            Console.WriteLine($"no --encoder: reusing the default encoder {folder}");
            return (SceneCli.Encoder(folder, "the default encoder"), folder, 0);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Console.WriteLine($"no --encoder: training the default encoder first ({EncoderRecipe.Command}) into {folder}; later runs on these "
            + "images reuse it");
        var options = task.ForData(EncoderRecipe.Options with { Threads = threads }, EncoderRecipe.Settings, data, _ => false);
        Trainer trainer;
        try { trainer = task.Create(options, EncoderRecipe.Settings, data, source); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        // Trained beside its final place and moved there whole, so that a run interrupted midway leaves nothing to reuse.
        string partial = $"{folder}.partial-{Environment.ProcessId}";
        trainer.OutputDirectory = partial;
        var result = RunFolders.Run(trainer, new ConsoleProgress(Console.Out, ConsoleProgress.IsTerminal, printEvery: 100, sampleLength: 0));
        if (RunFolders.AbnormalExit(result, "classify", partial) is int code)
            throw new CliException($"the default encoder did not finish (exit {code}); run again, or give --encoder CNN_RUN.", code);
        Console.WriteLine($"default encoder: {result.Message} after {result.Iteration} iterations; {TaskCli.Best(result, trainer.Task.LossUnit)}");
        try { Directory.Move(partial, folder); }
        catch (IOException) when (Directory.Exists(Path.Combine(folder, "best"))) { Directory.Delete(partial, recursive: true); }
        return (SceneCli.Encoder(folder, "the default encoder"), folder, clock.Elapsed.TotalSeconds);
    }
}
