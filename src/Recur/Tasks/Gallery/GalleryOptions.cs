using Recur.Training;

namespace Recur.Tasks.Gallery;

/// <summary>What a gallery run does: the iterations it samples at, how it samples, how it searches cells, and the training recipe.</summary>
public sealed record GalleryOptions
{
    /// <summary>The iterations of Karpathy's "The Unreasonable Effectiveness of Recurrent Neural Networks" samples.</summary>
    public static IReadOnlyList<long> LectureIterations { get; } = [100, 300, 1_000, 3_000, 10_000];

    /// <summary>Iterations to sample at, ascending; the last is where training stops and the cells are searched.</summary>
    public IReadOnlyList<long> Iterations { get; init; } = LectureIterations;

    /// <summary>Characters per sample.</summary>
    public int SampleLength { get; init; } = 600;

    /// <summary>Sampling temperature.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Seed of the samples' random draws (each sample starts a stream of its own from it).</summary>
    public ulong SampleSeed { get; init; } = 123;

    /// <summary>Most characters of each held-out split (validation, test) the cells are searched over.</summary>
    public int MaxChars { get; init; } = 100_000;

    /// <summary>Characters shown for each found cell.</summary>
    public int ExcerptChars { get; init; } = 1_000;

    /// <summary>The |r| a cell must reach on test text to count as found.</summary>
    public double Threshold { get; init; } = 0.8;

    /// <summary>Streams the held-out text is cut into for the search (<see cref="Analysis.CellsOptions.Streams"/>).</summary>
    public int Streams { get; init; } = 16;

    /// <summary>The training options (the char-LM task's recipe; the iteration limit is the last of <see cref="Iterations"/>).</summary>
    public TrainOptions Training { get; init; } = CharLm.CharLmDefinition.Instance.Defaults;

    /// <summary>The training options a corpus is trained with: <see cref="Training"/> stopping at the last iteration (and no epoch limit).</summary>
    public TrainOptions TrainingRun => Training with { MaxIters = Iterations[^1], MaxEpochs = 0, Minutes = 0 };

    /// <summary>Checks the iterations (ascending, positive, distinct) and the other settings; throws <see cref="ArgumentException"/>.</summary>
    public void Validate()
    {
        if (Iterations.Count == 0) throw new ArgumentException("--iterations names no iteration.");
        for (int i = 0; i < Iterations.Count; i++)
            if (Iterations[i] <= 0 || i > 0 && Iterations[i] <= Iterations[i - 1])
                throw new ArgumentException($"--iterations must be positive and ascending, got {string.Join(",", Iterations)}.");
        if (SampleLength < 1) throw new ArgumentException($"--sample-length must be at least 1, got {SampleLength}.");
        if (!(Temperature > 0)) throw new ArgumentException($"--temperature must be positive, got {Temperature}.");
        if (MaxChars < 100) throw new ArgumentException($"--max-chars must be at least 100, got {MaxChars}.");
        if (!(Threshold > 0 && Threshold <= 1)) throw new ArgumentException($"the threshold must be in (0, 1], got {Threshold}.");
        if (Training.ValFrac <= 0 || Training.TestFrac <= 0)
            throw new ArgumentException("the gallery chooses cells on the validation split and measures them on the test split: "
                + $"--val-frac and --test-frac must be positive, got {Training.ValFrac} and {Training.TestFrac}.");
    }
}
