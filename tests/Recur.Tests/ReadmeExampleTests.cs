using Recur.Nn;
using Recur.Training;
using Xunit;

namespace Recur.Tests;

/// <summary>The README's fifteen-line example, kept compiling and doing what it says.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void ExampleRunsAndTrains()
    {
        var store = new ParameterStore();
        var lstm = new Lstm(store, "lstm", inputSize: 5, hiddenSize: 11, numLayers: 2);
        var head = new Linear(store, "head", 11, 3);
        var rng = new Rng(42);
        lstm.Reset(rng); head.Reset(rng);
        var opt = new Adam(store, learningRate: 1e-2);

        var x = Tensor.Randn(rng, 1f, 7, 3, 5);
        var targets = new int[21];
        var dlogits = new Tensor(21, 3);
        double first = 0, loss = 0;
        for (int step = 0; step < 30; step++)
        {
            var o = lstm.Forward(x);
            Assert.Equal([2, 3, 11], o.HN.Shape);
            var logits = head.Forward(o.Output.Reshape(21, 11));
            loss = SoftmaxCrossEntropy.LossAndGradient(logits, targets, dlogits);
            if (step == 0) first = loss;
            store.ZeroGrad();
            var dh = head.Backward(dlogits);
            lstm.Backward(dh.Reshape(7, 3, 11));
            GradClip.ClipByNorm(store.Grads, 5f);
            opt.Step();
        }
        Assert.InRange(first, 0.5, 2.0);
        Assert.True(loss < first / 4, $"loss went from {first} to {loss}");
    }
}
