using Recur.Models;
using Recur.Nn;
using Recur.Tasks.Glimpse;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Tasks.Glimpse;

/// <summary>
/// The CNN baseline's gradients (<see cref="CnnClassifier.TrainStep"/>: two stages, the fully connected layer and the head over
/// a canvas) against central differences of its mean cross-entropy, tensor by tensor; a 1 % error in any one fails.
/// </summary>
public sealed class CnnBaselineGradientTests
{
    [Fact]
    public void EveryGradientMatchesCentralDifferences()
    {
        // Dense inputs (not a mostly black canvas): in float32 the central differences of the first stage's small gradients
        // would drown in rounding, and near-ties of the max pooling would bend them.
        var settings = new GlimpseSettings { Size = 12, CnnWidth = 3, CnnStages = 2, CnnFc = 5 };
        var cnn = new CnnClassifier(new ConvNet(settings.ToCnn()));
        var rng = new Rng(11);
        cnn.Reset(rng);
        int B = 3;
        var x = Tensor.Uniform(rng, 1f, B, 12 * 12);
        int[] labels = [4, 0, 9];
        double analyticLoss = cnn.TrainStep(x, labels, new Rng(1));
        var grads = (float[])cnn.Store.Grads.Clone();
        double Loss()
        {
            var logits = cnn.Classify(x);
            return SoftmaxCrossEntropy.Loss<float>(logits.Data, B, 10, labels);
        }
        Assert.Equal(analyticLoss, Loss(), 6);
        CheckAll(cnn, grads, Loss);
        GradCheck.AssertOnePercentOffFails(() => CheckAll(cnn, grads, Loss), call: 2);
    }

    private static void CheckAll(CnnClassifier cnn, float[] grads, Func<double> loss)
    {
        foreach (var p in cnn.Store.Parameters)
        {
            Assert.True(grads.AsSpan(p.Offset, p.Length).ContainsAnyExcept(0f), $"{p.Name} has no gradient");
            GradCheck.Check(p.Name, loss, cnn.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length), samples: 16, h: 5e-4f, atol: 4e-6);
        }
    }
}
