using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Tests.IO;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>
/// A disk that fills up during a run and a folder that is read-only when a run resumes: the run says so in one
/// line, exits with its own code, keeps the last good checkpoint loadable, leaves no partial copy behind, and
/// continues with <c>--resume</c> once the disk is writable again. The faults are the kernel's (a real tmpfs).
/// </summary>
public sealed class SaveFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-faults-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string TextFile() => CliHarness.ShakespeareFile(_dir, 4000);

    private static readonly string[] Tiny = ["--model", "gru", "--hidden", "16", "--layers", "1", "--embed", "8", "--seq-length", "16",
        "--batch-size", "4", "--eval-every", "2", "--threads", "1"];

    private static void AssertNoPartialCopies(string run)
    {
        foreach (var d in Directory.GetDirectories(run))
            Assert.False(Path.GetFileName(d).StartsWith('.'), $"left behind: {d}");
    }

    [SmallDiskFact]
    public void ADiskThatFillsUpMidRunStopsTheRunAndKeepsTheLastGoodCheckpoint()
    {
        using var disk = new SmallDisk(768);
        string text = TextFile();
        string run = Path.Combine(disk.Root, "run");
        string latest = Path.Combine(run, "latest");
        // Fill the disk as soon as the first checkpoint is on it, while the run goes on (an evaluation every 2 iterations).
        var filler = Task.Run(() =>
        {
            while (!Directory.Exists(latest)) Thread.Sleep(1);
            disk.Fill();
        });
        var r = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "1000000", "--out", run]);
        filler.Wait();
        Assert.Equal(4, r.ExitCode);
        CliHarness.AssertCleanFailure(r, "train", "no space left on device", "last good checkpoint", "--resume");
        var kept = CharCheckpoint.Read(run, CheckpointKind.Latest);
        long at = kept.Progress!.Iteration;
        Assert.True(at >= 2, $"latest/ holds iteration {at}");
        AssertNoPartialCopies(run);

        disk.Free();
        var resumed = CliHarness.Run("train", "--resume", run, "--max-iters", (at + 4).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(at + 4, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);
    }

    [SmallDiskFact]
    public void AReadOnlyRunFolderIsRefusedInOneLineAndItsCheckpointStillLoads()
    {
        using var disk = new SmallDisk(768);
        string text = TextFile();
        string run = Path.Combine(disk.Root, "run");
        var first = CliHarness.Run(["train", text, .. Tiny, "--max-iters", "4", "--out", run]);
        Assert.True(first.ExitCode == 0, first.ToString());
        disk.MakeReadOnly();
        var r = CliHarness.Run("train", "--resume", run, "--max-iters", "8");
        CliHarness.AssertCleanFailure(r, "train", "read-only");
        Assert.Equal(4, CharCheckpoint.Read(run, CheckpointKind.Latest).Progress!.Iteration);
    }
}
