using System.Globalization;
using Recur.IO;
using Recur.Models.Video;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Video;

/// <summary>
/// The video model against PyTorch (Fixtures/make_video_fixtures.py: LSTM, GRU, and the frame-averaging and middle-frame
/// baselines), central differences, and the sigmoid cross-entropy against a value worked by hand.
/// </summary>
public sealed class VideoClassifierTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "video");

    public static TheoryData<string> Files() => FixtureFiles.In("video");

    [Fact]
    public void EveryModelKindHasAFixture()
        => Assert.Equal(["average", "gru", "lstm", "middle"], Directory.GetFiles(Dir, "*.safetensors").Select(Path.GetFileNameWithoutExtension).Order());

    [Theory]
    [MemberData(nameof(Files))]
    public void MatchesPyTorch(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        var t = st.Tensors;
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var m = new VideoClassifier(new VideoClassifierConfig
        {
            Model = st.Metadata["model"], FeatureDim = M("feature_dim"), Projection = M("projection"), Hidden = M("hidden"),
            Actions = M("actions"), Classes = M("classes"),
        });
        foreach (var p in m.Store.Parameters) p.CopyFrom(t[p.Name]);
        Assert.Equal(t.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), m.Store.Parameters.Count);
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        var x = t["x"];
        int[] actions = t["actions"].Data.Select(v => (int)v).ToArray();
        var (act, vis) = m.Forward(x);
        report.Add("action_logits", act.Data, t["action_logits"].Shape, t["action_logits"]);
        report.Add("visible_logits", vis.Data, t["visible_logits"].Shape, t["visible_logits"]);
        var (loss, actionLoss, visibleLoss) = m.TrainStep(x, actions, t["visible"].Data, new Rng(1));
        report.Add("loss", [(float)loss], [1], t["loss"]);
        report.Add("action_loss", [(float)actionLoss], [1], t["action_loss"]);
        report.Add("visible_loss", [(float)visibleLoss], [1], t["visible_loss"]);
        foreach (var p in m.Store.Parameters) report.Add("grad." + p.Name, p.Grad, p.Shape, t["grad." + p.Name]);
        report.AssertAll();
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("average")]
    [InlineData("middle")]
    public void GradientsMatchCentralDifferences(string model)
    {
        var rng = new Rng(8);
        var m = new VideoClassifier(new VideoClassifierConfig { Model = model, FeatureDim = 5, Projection = 6, Hidden = 4, Layers = 2, Actions = 3, Classes = 2 });
        m.Reset(rng);
        // The projection's units biased to +2 (active) or -2 (dead), so no pre-activation lies within a step of the ReLU's
        // kink, where a central difference is meaningless; the PyTorch fixtures check units near it.
        var bias = m.Store["proj.bias"].Value;
        for (int j = 0; j < bias.Length; j++) bias[j] = j % 2 == 0 ? 2f : -2f;
        var x = Tensor.Randn(rng, 1f, 5, 3, 5);
        int[] actions = [2, 0, 1];
        var visible = new float[5 * 3 * 2];
        for (int i = 0; i < visible.Length; i++) visible[i] = (i * 7 % 3) == 0 ? 1 : 0;
        m.TrainStep(x, actions, visible, rng);
        var grads = (float[])m.Store.Grads.Clone();
        foreach (var p in m.Store.Parameters)
            GradCheck.Check(p.Name, () => m.Loss(x, actions, visible).Loss, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length),
                samples: 12, h: 1e-2f, atol: 4e-6);
    }

    /// <summary>A 1 % error in one tensor's gradient (the projection's weight, the first checked) fails the check.</summary>
    [Theory]
    [InlineData("lstm", 0)]
    [InlineData("average", 0)]
    public void OnePercentOffOneGradientFailsTheCheck(string model, int call)
        => GradCheck.AssertOnePercentOffFails(() => GradientsMatchCentralDifferences(model), call);

    [Fact]
    public void SigmoidCrossEntropyMatchesAValueWorkedByHand()
    {
        // Two rows of two classes. z = 0, y = 1: log 2. z = 0, y = 0: log 2. z = ln 3, y = 1: log(1 + 1/3) = log(4/3).
        // z = -ln 3, y = 1: log(1 + 3) = log 4. Sum = 2 log 2 + log(4/3) + log 4; mean over 2 rows.
        float[] z = [0f, 0f, (float)Math.Log(3), (float)-Math.Log(3)];
        float[] y = [1f, 0f, 1f, 1f];
        var dz = new float[4];
        double loss = VideoClassifier.SigmoidCrossEntropy(z, y, 2, dz);
        Assert.Equal((2 * Math.Log(2) + Math.Log(4.0 / 3) + Math.Log(4)) / 2, loss, 6);
        // sigmoid(0) - 1 = -0.5, sigmoid(0) - 0 = 0.5, sigmoid(ln 3) - 1 = 3/4 - 1, sigmoid(-ln 3) - 1 = 1/4 - 1; each / 2 rows.
        Assert.Equal([-0.25f, 0.25f, -0.125f, -0.375f], dz.Select(v => MathF.Round(v, 6)));
    }

    [Fact]
    public void TheBaselinesCannotTellAClipFromItsReverse()
    {
        var rng = new Rng(3);
        var x = Tensor.Randn(rng, 1f, 5, 2, 4);
        var reversed = new Tensor(5, 2, 4);
        for (int t = 0; t < 5; t++) x.Data.AsSpan((4 - t) * 8, 8).CopyTo(reversed.Data.AsSpan(t * 8, 8));
        foreach (var model in new[] { "average", "middle", "lstm" })
        {
            var m = new VideoClassifier(new VideoClassifierConfig { Model = model, FeatureDim = 4, Projection = 6, Hidden = 5, Actions = 3, Classes = 2 });
            m.Reset(new Rng(9));
            float[] a = (float[])m.Forward(x).Action.Data.Clone(), b = (float[])m.Forward(reversed).Action.Data.Clone();
            if (model == "lstm") Assert.NotEqual(a, b);
            else for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
        }
    }
}
