using Recur.Nn;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(7, 3)]
    [InlineData(5, 1)]
    [InlineData(4, 0)] // char-rnn with decay_after 0 decays from the first epoch boundary, like 1
    public void Step_decay_follows_char_rnn_train_loop(int iterationsPerEpoch, int decayAfter)
    {
        // char-rnn train.lua: for i = 1, iterations: step with the current lr; then
        //   epoch = i / ntrain; if i % ntrain == 0 and epoch >= decay_after: lr = lr * decay
        const double baseLr = 2e-3, decay = 0.97;
        var schedule = new StepDecaySchedule(baseLr, decay, iterationsPerEpoch, Math.Max(1, decayAfter));
        double lr = baseLr;
        for (int i = 1; i <= 60; i++)
        {
            Assert.Equal(lr, schedule.At(i - 1), 1e-15);
            double epoch = (double)i / iterationsPerEpoch;
            if (i % iterationsPerEpoch == 0 && epoch >= decayAfter) lr *= decay;
        }
        Assert.True(lr < baseLr);
    }

    [Fact]
    public void Step_decay_with_first_decay_1_is_pytorch_step_lr()
    {
        var s = new StepDecaySchedule(0.1, 0.5, 3);
        double[] want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025];
        for (int t = 0; t < want.Length; t++) Assert.Equal(want[t], s.At(t), 1e-15);
        Assert.Equal(2, s.DecaysBefore(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.At(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(0.1, 0.5, 0));
    }

    [Fact]
    public void Cosine_warmup_shape()
    {
        var s = new CosineWarmupSchedule(1e-3, warmupSteps: 10, totalSteps: 110, minLearningRate: 1e-4);
        Assert.Equal(1e-4, s.At(0), 1e-15);          // (0 + 1) / 10 of the peak
        Assert.Equal(1e-3, s.At(9), 1e-15);          // end of warmup
        Assert.Equal(1e-3, s.At(10), 1e-15);         // cosine starts at the peak
        Assert.Equal(5.5e-4, s.At(60), 1e-15);       // halfway: the mean of peak and floor
        Assert.Equal(1e-4, s.At(110), 1e-15);
        Assert.Equal(1e-4, s.At(1000), 1e-15);
        for (int t = 1; t < 10; t++) Assert.True(s.At(t) > s.At(t - 1));
        for (int t = 11; t <= 110; t++) Assert.True(s.At(t) < s.At(t - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWarmupSchedule(1e-3, 10, 10));
    }

    [Fact]
    public void Apply_sets_the_optimizer_rate()
    {
        var store = new ParameterStore();
        store.Add("x", 3);
        var opt = new RmsProp(store, 1.0, alpha: 0.95);
        new StepDecaySchedule(2e-3, 0.5, 10).Apply(opt, 25);
        Assert.Equal(5e-4, opt.LearningRate, 1e-18);
        new ConstantSchedule(0.25).Apply(opt, 99);
        Assert.Equal(0.25, opt.LearningRate);
    }

    [Theory]
    [InlineData(0L, 1.0)]
    [InlineData(50L, 0.5)]
    [InlineData(100L, 0.0)]
    [InlineData(150L, 0.0)]
    public void CosineFollowsHalfAPeriod(long step, double fraction)
    {
        var s = new CosineWarmupSchedule(0.1, warmupSteps: 0, totalSteps: 100, minLearningRate: 0.001);
        Assert.Equal(0.001 + 0.099 * fraction, s.At(step), 12);
        Assert.Equal(0.001 + 0.099 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.At(25), 12);
    }

    [Fact]
    public void CosineRejectsAMinimumAboveTheBase()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWarmupSchedule(0.1, 0, 10, minLearningRate: 0.2));
        Assert.Equal("minLearningRate", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWarmupSchedule(0.1, 0, 0));
    }
}
