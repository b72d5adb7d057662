using Recur.Models.Vqa;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Vqa;

/// <summary>
/// A VQA model of several members (<see cref="VqaConfig.Members"/>): each member is the one-network model it was initialised
/// as, the ensemble answers with their probabilities averaged (worked out here from the members run alone), and training
/// takes each member's own cross-entropy (gradients checked against the single models' and central differences).
/// </summary>
public sealed class VqaEnsembleTests
{
    private static VqaConfig Config(int members) => new()
    {
        Vocab = 9, Answers = 8, Embed = 4, Hidden = 5, GridRows = 2, GridCols = 3, FeatureDim = 3, AttentionDim = 4, Fusion = 6, MaxWords = 4,
        VisualAnswers = [0, 2, 5, 6], ClassCountOffset = 1, ClassCountWidth = 2, Members = members,
    };

    private static readonly int[] Q = [0, 2, 5, 1, 3, 3, 4, 8, 0, 0, 7, 6], C = [0, 1, 2, 3, 7, 6, 5, 4, 2, 4, 6, 0], A = [1, 0, 3];

    /// <summary>The ensemble and, initialised from the same stream one after the other, the single models its members are.</summary>
    private static (VqaModel Ensemble, VqaModel[] Singles, Tensor Features) Build(int members)
    {
        var e = new VqaModel(Config(members));
        e.Reset(new Rng(11));
        var rng = new Rng(11);
        var singles = Enumerable.Range(0, members).Select(_ => new VqaModel(Config(1))).ToArray();
        foreach (var s in singles) s.Reset(rng);
        return (e, singles, Tensor.Randn(new Rng(12), 1f, 3, 6, 3));
    }

    [Fact]
    public void MembersAreNamedAndInitialisedAsTheSingleModelsInTurn()
    {
        var (e, singles, _) = Build(3);
        Assert.Equal(3 * singles[0].Store.Count, e.Store.Count);
        for (int k = 0; k < 3; k++)
            foreach (var p in singles[k].Store.Parameters)
                Assert.Equal(p.Value.ToArray(), e.Store.Parameters.Single(q => q.Name == $"members.{k}.{p.Name}").Value.ToArray());
        Assert.Contains(singles[0].Store.Parameters, p => p.Name == "rnn.weight_hh_l0"); // one member keeps the names it always had
    }

    [Fact]
    public void TheEnsembleAnswersWithItsMembersProbabilitiesAveraged()
    {
        var (e, singles, f) = Build(3);
        var got = e.Forward(f, Q, C).ToArray();
        var each = singles.Select(s => s.Forward(f, Q, C).ToArray()).ToArray();
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 4; c++)
            {
                double mean = each.Average(s =>
                {
                    double z = Enumerable.Range(0, 4).Sum(j => Math.Exp(s[b * 4 + j]));
                    return Math.Exp(s[b * 4 + c]) / z;
                });
                Assert.Equal(Math.Log(mean), got[b * 4 + c], 5);
            }
        Assert.Equal(singles[0].Forward(f, Q, C).ToArray().Length, got.Length);
        Assert.Equal(e.Loss(f, Q, C, A).Loss, -Enumerable.Range(0, 3).Average(b => (double)got[b * 4 + A[b]]), 5);
    }

    [Fact]
    public void EachMemberTrainsOnItsOwnCrossEntropy()
    {
        var (e, singles, f) = Build(2);
        var (loss, _) = e.TrainStep(f, Q, C, A);
        double expected = 0;
        for (int k = 0; k < 2; k++)
        {
            expected += singles[k].TrainStep(f, Q, C, A).Loss / 2;
            foreach (var p in singles[k].Store.Parameters)
            {
                var g = e.Store.Parameters.Single(q => q.Name == $"members.{k}.{p.Name}").Grad.ToArray();
                for (int i = 0; i < g.Length; i++) Assert.Equal(p.Grad[i] / 2, g[i], 6);
            }
        }
        Assert.Equal(expected, loss, 6);
        Assert.Equal(expected, e.TrainingLoss(f, Q, C, A), 6);
    }

    [Fact]
    public void EachMemberTrainsOnABatchOfItsOwn()
    {
        var (e, singles, f) = Build(2);
        var g = Tensor.Randn(new Rng(13), 1f, 3, 6, 3);
        int[] q2 = [.. Q.Reverse()], c2 = [.. C.Select(c => (c + 1) % 8)], a2 = [2, 3, 0];
        double loss = e.TrainStep([(f, Q, C, A), (g, q2, c2, a2)]);
        double expected = singles[0].TrainStep(f, Q, C, A).Loss / 2 + singles[1].TrainStep(g, q2, c2, a2).Loss / 2;
        Assert.Equal(expected, loss, 6);
        for (int k = 0; k < 2; k++)
            foreach (var p in singles[k].Store.Parameters)
            {
                var grad = e.Store.Parameters.Single(q => q.Name == $"members.{k}.{p.Name}").Grad.ToArray();
                for (int i = 0; i < grad.Length; i++) Assert.Equal(p.Grad[i] / 2, grad[i], 6);
            }
        Assert.Throws<ArgumentException>(() => e.TrainStep([(f, Q, C, A)]));
    }

    [Fact]
    public void GradientsMatchCentralDifferencesOfTheTrainingLoss()
    {
        var (e, _, f) = Build(2);
        e.TrainStep(f, Q, C, A);
        var grads = (float[])e.Store.Grads.Clone();
        foreach (var p in e.Store.Parameters)
            GradCheck.Check(p.Name, () => e.TrainingLoss(f, Q, C, A), e.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length),
                samples: 6, h: 2e-2f, atol: 4e-6);
    }

    [Fact]
    public void MembersOutsideOneToSixtyFourAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Config(0).Validate());
        Assert.Throws<ArgumentException>(() => Config(65).Validate());
    }
}
