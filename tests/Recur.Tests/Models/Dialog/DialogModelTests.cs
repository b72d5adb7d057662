using System.Globalization;
using Recur.IO;
using Recur.Models.Dialog;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Dialog;

/// <summary>
/// The dialog model against PyTorch (Fixtures/make_dialog_fixtures.py: HRE and memory-network histories, none, one and two
/// hops, the question-only model, visual answers, a one-round dialog), central differences, and what reads the history.
/// </summary>
public sealed class DialogModelTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "dialog");

    /// <summary>A tensor passes when its largest error is at most this fraction of its largest reference magnitude.</summary>
    private const double RelativeTolerance = 1e-4;

    public static TheoryData<string> Files() => FixtureFiles.In("dialog");

    [Fact]
    public void EveryHistoryKindHopCountAndTheBlindModelHaveAFixture()
    {
        var meta = Directory.GetFiles(Dir, "*.safetensors").Select(f => SafeTensors.Read(f).Metadata).ToArray();
        foreach (var h in DialogConfig.HistoryKinds) Assert.Contains(meta, m => m["history"] == h);
        Assert.Contains(meta, m => m["hops"] == "1" && m["blind"] == "false");
        Assert.Contains(meta, m => m["hops"] == "2" && m["blind"] == "false");
        Assert.Contains(meta, m => m["blind"] == "true" && m["history"] != "none");
        Assert.Contains(meta, m => m.ContainsKey("visual_answers"));
    }

    private static int[] Ints(Tensor t) => t.Data.Select(v => (int)v).ToArray();

    /// <summary>The model of a fixture with its weights, and the fixture's tensors.</summary>
    private static (DialogModel Model, IReadOnlyDictionary<string, Tensor> T) Load(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        var m = new DialogModel(new DialogConfig
        {
            Vocab = M("vocab"), Answers = M("answers"), Embed = M("embed"), Hidden = M("hidden"), GridRows = M("grid_rows"), GridCols = M("grid_cols"),
            FeatureDim = M("feature_dim"), AttentionDim = M("attention_dim"), Fusion = M("fusion"), MaxWords = M("max_words"),
            History = st.Metadata["history"], Hops = M("hops"), Blind = st.Metadata["blind"] == "true",
            VisualAnswers = st.Metadata.TryGetValue("visual_answers", out var v)
                ? v.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray() : [],
        });
        foreach (var p in m.Store.Parameters) p.CopyFrom(st.Tensors[p.Name]);
        Assert.Equal(st.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), m.Store.Parameters.Count);
        return (m, st.Tensors);
    }

    /// <summary>Largest |got - want| over the tensor, relative to its largest |want| (1 for a tensor of zeros).</summary>
    private static double RelativeError(ReadOnlySpan<float> got, Tensor want)
    {
        Assert.Equal(want.Length, got.Length);
        double worst = 0, scale = 0;
        for (int i = 0; i < got.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)got[i] - want.Data[i]));
            scale = Math.Max(scale, Math.Abs((double)want.Data[i]));
        }
        return double.IsNaN(worst) ? double.PositiveInfinity : worst / (scale > 0 ? scale : 1);
    }

    /// <summary>The names of the tensors of a case that fail the check, given the scores, loss and gradients the model computed.</summary>
    private static List<string> Failures(DialogModel m, IReadOnlyDictionary<string, Tensor> t, float[] scores, double loss, float[] grads)
    {
        var failed = new List<string>();
        void Judge(string name, ReadOnlySpan<float> got, Tensor want)
        {
            double e = RelativeError(got, want);
            if (!(e <= RelativeTolerance)) failed.Add(string.Create(CultureInfo.InvariantCulture, $"{name} ({e:E2})"));
        }
        Judge("scores", scores, t["scores"]);
        Judge("loss", [(float)loss], t["loss"]);
        foreach (var p in m.Store.Parameters) Judge("grad." + p.Name, grads.AsSpan(p.Offset, p.Length), t["grad." + p.Name]);
        return failed;
    }

    private static (float[] Scores, double Loss, float[] Grads) Run(DialogModel m, IReadOnlyDictionary<string, Tensor> t)
    {
        var (f, q, a) = (t["features"], Ints(t["questions"]), Ints(t["answers"]));
        var scores = m.Forward(f, q, a).ToArray();
        var (loss, _) = m.TrainStep(f, q, a);
        return (scores, loss, (float[])m.Store.Grads.Clone());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void MatchesPyTorch(string file)
    {
        var (m, t) = Load(file);
        var (scores, loss, grads) = Run(m, t);
        var failed = Failures(m, t, scores, loss, grads);
        Assert.True(failed.Count == 0, $"{file}: beyond {RelativeTolerance:G} of the tensor's scale: {string.Join(", ", failed)}");
    }

    /// <summary>The check catches a 1 % error in any one parameter's gradient: each, scaled by 1.01 in turn, fails it alone.</summary>
    [Theory]
    [InlineData("hre.safetensors")]
    [InlineData("memory.safetensors")]
    public void OnePercentOffAnyOneGradientFailsTheFixtureCheck(string file)
    {
        var (m, t) = Load(file);
        var (scores, loss, grads) = Run(m, t);
        Assert.Empty(Failures(m, t, scores, loss, grads));
        foreach (var p in m.Store.Parameters)
        {
            var mutated = (float[])grads.Clone();
            for (int i = p.Offset; i < p.Offset + p.Length; i++) mutated[i] *= 1.01f;
            Assert.Equal(["grad." + p.Name], Failures(m, t, scores, loss, mutated).Select(s => s.Split(' ')[0]));
        }
    }

    private static DialogModel Small(string history, int hops, bool blind, int[]? visual = null)
    {
        var m = new DialogModel(new DialogConfig
        {
            Vocab = 9, Answers = 8, Embed = 4, Hidden = 5, GridRows = 2, GridCols = 3, FeatureDim = 3, AttentionDim = 4, Fusion = 6, MaxWords = 4,
            History = history, Hops = hops, Blind = blind, VisualAnswers = visual ?? [],
        });
        m.Reset(new Rng(4));
        return m;
    }

    // 2 dialogs of 3 rounds, 4-word questions; dialog 1's first question is dialog 0's first (encoded once, its gradient added up)
    private static readonly int[] Questions = [0, 2, 5, 1, 3, 3, 4, 8, 0, 0, 7, 6, 0, 2, 5, 1, 0, 5, 5, 2, 0, 0, 0, 8];
    private static readonly int[] Answers = [1, 7, 3, 0, 2, 6];

    [Theory]
    [InlineData("hre", 2, false, false)]
    [InlineData("hre", 1, false, true)]
    [InlineData("memory", 2, false, true)]
    [InlineData("memory", 1, false, false)]
    [InlineData("none", 2, false, true)]
    [InlineData("hre", 1, true, false)]
    public void GradientsMatchCentralDifferences(string history, int hops, bool blind, bool visual)
    {
        var m = Small(history, hops, blind, visual ? [0, 2, 5] : null);
        var f = Tensor.Randn(new Rng(5), 1f, 2, 6, 3);
        m.TrainStep(f, Questions, Answers);
        var grads = (float[])m.Store.Grads.Clone();
        foreach (var p in m.Store.Parameters)
            GradCheck.Check(p.Name, () => m.Loss(f, Questions, Answers).Loss, m.Store.Values, p.Offset, p.Length, grads.AsSpan(p.Offset, p.Length),
                samples: 12, h: 2e-2f, atol: 4e-6);
    }

    /// <summary>The central-difference check is sensitive too: a 1 % error in one tensor's gradient fails it.</summary>
    [Theory]
    [InlineData("memory", 2, false, true, 3)]
    [InlineData("hre", 2, false, false, 8)]
    public void OnePercentOffOneGradientFailsTheCentralDifferenceCheck(string history, int hops, bool blind, bool visual, int call)
        => GradCheck.AssertOnePercentOffFails(() => GradientsMatchCentralDifferences(history, hops, blind, visual), call);

    /// <summary>
    /// A round reads the answers of the rounds before it and no others: changing round 1's answer leaves rounds 0 and 1's scores
    /// alone and moves round 2's; without history nothing moves.
    /// </summary>
    [Theory]
    [InlineData("hre")]
    [InlineData("memory")]
    [InlineData("none")]
    public void ARoundReadsOnlyTheAnswersBeforeIt(string history)
    {
        var m = Small(history, 2, false);
        var f = Tensor.Randn(new Rng(5), 1f, 2, 6, 3);
        var before = m.Forward(f, Questions, Answers).ToArray();
        int[] changed = [.. Answers];
        changed[1] = 4; // dialog 0, round 1
        var after = m.Forward(f, Questions, changed).ToArray();
        const int A = 8;
        for (int r = 0; r < 3; r++)
        {
            var (x, y) = (before.AsSpan(r * A, A).ToArray(), after.AsSpan(r * A, A).ToArray());
            if (r == 2 && history != "none") Assert.NotEqual(x, y);
            else Assert.Equal(x, y);
        }
        Assert.Equal(before.AsSpan(3 * A), after.AsSpan(3 * A)); // dialog 1 untouched
    }

    [Fact]
    public void TheConfigRefusesWhatItCannotBuild()
    {
        Assert.Throws<ArgumentException>(() => new DialogConfig { Vocab = 9, Answers = 8, History = "lstm" }.Validate());
        Assert.Throws<ArgumentException>(() => new DialogConfig { Vocab = 9, Answers = 8, Hops = 3 }.Validate());
        Assert.Throws<ArgumentException>(() => new DialogConfig { Vocab = 9, Answers = 8, Blind = true, VisualAnswers = [1] }.Validate());
        Assert.Throws<ArgumentException>(() => new DialogConfig { Vocab = 9, Answers = 8, VisualAnswers = [8] }.Validate());
    }
}
