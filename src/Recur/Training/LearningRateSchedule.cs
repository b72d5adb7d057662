namespace Recur.Training;

/// <summary>
/// A learning rate as a pure function of the 0-based update index (or epoch index, whichever unit
/// the caller counts in), so a run resumed from a checkpoint only needs the index to continue on
/// the same curve. Apply it before each <see cref="Optimizer.Step"/>:
/// <c>optimizer.LearningRate = schedule.At(step)</c>.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for update <paramref name="step"/> (0-based).</summary>
    public abstract double At(long step);

    /// <summary>Sets <paramref name="optimizer"/>'s learning rate for update <paramref name="step"/>.</summary>
    public void Apply(Optimizer optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LearningRate = At(step);
    }

    /// <summary>Rejects negative steps.</summary>
    protected static void CheckStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be non-negative, got {step}.");
    }

    /// <summary>Rejects a non-finite or negative rate.</summary>
    protected static void CheckRate(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and non-negative, got {value}.");
    }
}

/// <summary>A constant learning rate.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public ConstantSchedule(double learningRate)
    {
        CheckRate(learningRate, nameof(learningRate));
        LearningRate = learningRate;
    }

    /// <summary>The rate.</summary>
    public double LearningRate { get; }

    /// <inheritdoc />
    public override double At(long step)
    {
        CheckStep(step);
        return LearningRate;
    }
}

/// <summary>
/// Step decay: the rate is multiplied by <see cref="Factor"/> at every multiple of
/// <see cref="StepSize"/>, starting from the <see cref="FirstDecay"/>-th multiple:
/// <c>lr(t) = base * factor ^ max(0, floor(t / stepSize) - firstDecay + 1)</c>.
/// <para>
/// With <c>firstDecay = 1</c> this is PyTorch's <c>StepLR(step_size, gamma)</c>. char-rnn
/// (<c>-learning_rate_decay 0.97 -learning_rate_decay_after 10</c>) decays once per epoch after
/// epoch 10: count <c>t</c> in iterations and use <c>stepSize = iterationsPerEpoch</c>,
/// <c>firstDecay = 10</c>. torch-rnn (<c>-lr_decay_every 5 -lr_decay_factor 0.5</c>) is
/// <c>stepSize = 5 * iterationsPerEpoch</c>, <c>firstDecay = 1</c>.
/// </para>
/// </summary>
public sealed class StepDecaySchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public StepDecaySchedule(double baseLearningRate, double factor, long stepSize, long firstDecay = 1)
    {
        CheckRate(baseLearningRate, nameof(baseLearningRate));
        CheckRate(factor, nameof(factor));
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"stepSize must be positive, got {stepSize}.");
        if (firstDecay < 1)
            throw new ArgumentOutOfRangeException(nameof(firstDecay), firstDecay,
                $"firstDecay must be at least 1 (the first multiple of stepSize), got {firstDecay}.");
        BaseLearningRate = baseLearningRate; Factor = factor; StepSize = stepSize; FirstDecay = firstDecay;
    }

    /// <summary>Rate before the first decay.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Multiplier applied at each decay.</summary>
    public double Factor { get; }

    /// <summary>Steps (or epochs) between decays.</summary>
    public long StepSize { get; }

    /// <summary>Index k of the first multiple <c>k * StepSize</c> at which the rate decays.</summary>
    public long FirstDecay { get; }

    /// <summary>Number of decays applied before update <paramref name="step"/>.</summary>
    public long DecaysBefore(long step)
    {
        CheckStep(step);
        return Math.Max(0, step / StepSize - FirstDecay + 1);
    }

    /// <inheritdoc />
    public override double At(long step) => BaseLearningRate * Math.Pow(Factor, DecaysBefore(step));
}

/// <summary>
/// Linear warmup then cosine decay (nanoGPT / llm.c):
/// <code>
/// t &lt; warmup:          lr = max_lr * (t + 1) / warmup
/// warmup &lt;= t &lt; total: r = (t - warmup) / (total - warmup); lr = min_lr + 0.5 * (1 + cos(pi * r)) * (max_lr - min_lr)
/// t &gt;= total:          lr = min_lr
/// </code>
/// </summary>
public sealed class CosineWarmupSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public CosineWarmupSchedule(double maxLearningRate, long warmupSteps, long totalSteps, double minLearningRate = 0)
    {
        CheckRate(maxLearningRate, nameof(maxLearningRate));
        CheckRate(minLearningRate, nameof(minLearningRate));
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"warmupSteps must be non-negative, got {warmupSteps}.");
        if (minLearningRate > maxLearningRate)
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate,
                $"minLearningRate ({minLearningRate}) must not exceed maxLearningRate ({maxLearningRate}).");
        if (totalSteps <= warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"totalSteps ({totalSteps}) must exceed warmupSteps ({warmupSteps}).");
        MaxLearningRate = maxLearningRate; MinLearningRate = minLearningRate; WarmupSteps = warmupSteps; TotalSteps = totalSteps;
    }

    /// <summary>Peak rate, reached at the end of the warmup.</summary>
    public double MaxLearningRate { get; }

    /// <summary>Floor reached at <see cref="TotalSteps"/> and kept afterwards.</summary>
    public double MinLearningRate { get; }

    /// <summary>Number of linear warmup steps.</summary>
    public long WarmupSteps { get; }

    /// <summary>Step at which the cosine reaches <see cref="MinLearningRate"/>.</summary>
    public long TotalSteps { get; }

    /// <inheritdoc />
    public override double At(long step)
    {
        CheckStep(step);
        if (step < WarmupSteps) return MaxLearningRate * (step + 1) / WarmupSteps;
        if (step >= TotalSteps) return MinLearningRate;
        return Anneal(MaxLearningRate, MinLearningRate, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
    }

    /// <summary>
    /// The cosine part alone at <paramref name="progress"/> (clamped to [0, 1]) of the decay, for a caller
    /// that measures progress otherwise (a fraction of a wall-clock budget, say).
    /// </summary>
    public static double Anneal(double maxLearningRate, double minLearningRate, double progress)
    {
        double r = double.IsNaN(progress) ? 0 : Math.Clamp(progress, 0, 1);
        return minLearningRate + 0.5 * (1 + Math.Cos(Math.PI * r)) * (maxLearningRate - minLearningRate);
    }
}
