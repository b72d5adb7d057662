using System.Globalization;
using Recur.IO;
using Recur.Models.Captioning;
using Recur.Tasks.Caption;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Models.Captioning;

/// <summary>
/// The three captioners against PyTorch (Fixtures/make_caption_fixtures.py, float64 autograd from each model's
/// equations): the loss, the regulariser and every parameter's gradient of a teacher-forced batch, and, through the
/// decoding stepper fed the same words, every step's logits and attention weights, all within 1e-4. The options
/// (visual words, attention entropy on all steps or on the object words, feature and context dropout, label smoothing,
/// the zero initial state) have their own files; a dropout file holds the keep decisions the generator drew, which
/// the training step is handed through <see cref="Rng.WithKeepDecisions"/> (feature dropout through
/// <see cref="CaptionTask.DropFeatures"/>, as the task applies it), and the training loss it gives (<c>train.*</c>).
/// Hard attention's files hold the training step's choices (<c>hard.expected</c>, <c>hard.locations</c>), handed to the model
/// as <see cref="HardAttentionDraws.Forced"/>, with the baseline before the step (metadata) and after it, the per-caption
/// rewards, and the gradient of the loss with the REINFORCE surrogate and the entropy bonus.
/// </summary>
public sealed class CaptionerFixtureTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "caption");

    public static TheoryData<string> Files() => FixtureFiles.In("caption");

    [Fact]
    public void EveryCaptionerHasFixtures()
    {
        var kinds = Directory.GetFiles(Dir, "*.safetensors").Select(f => SafeTensors.Read(f).Metadata["kind"]).ToHashSet();
        Assert.True(CaptionerConfig.Kinds.All(kinds.Contains), "run tests/Recur.Tests/Fixtures/make_caption_fixtures.py");
    }

    /// <summary>Issue 27: every option of the captioners has a PyTorch fixture.</summary>
    [Fact]
    public void EveryOptionHasFixtures()
    {
        var metadata = Directory.GetFiles(Dir, "*.safetensors").Select(f => SafeTensors.Read(f).Metadata).ToList();
        foreach (var key in new[] { "singular_words", "plural_words", "attention_entropy", "attention_entropy_on", "feature_dropout", "coordinates",
            "context_dropout", "label_smoothing", "initial_state", "attention", "reinforce_weight", "hard_entropy", "baseline_decay", "hard_decoding" })
            Assert.True(metadata.Any(m => m.ContainsKey(key)), $"no caption fixture sets {key}: run tests/Recur.Tests/Fixtures/make_caption_fixtures.py");
        Assert.Contains(metadata, m => m.GetValueOrDefault("attention_entropy_on") == "objects");
        foreach (var decoding in CaptionerConfig.HardDecodings) Assert.Contains(metadata, m => m.GetValueOrDefault("hard_decoding") == decoding);
        Assert.Contains(metadata, m => m.GetValueOrDefault("baseline_updates") == "0");
        Assert.Contains(metadata, m => m.ContainsKey("baseline_updates") && m["baseline_updates"] != "0");
    }

    internal static (ICaptioner Model, SafeTensorsFile File, Tensor Features, int[] Captions) Load(string file)
    {
        var st = SafeTensors.Read(Path.Combine(Dir, file));
        int M(string k) => int.Parse(st.Metadata[k], CultureInfo.InvariantCulture);
        float Fl(string k) => st.Metadata.TryGetValue(k, out var v) ? float.Parse(v, CultureInfo.InvariantCulture) : 0f;
        int[] Ids(string k) => st.Metadata.TryGetValue(k, out var v) && v.Length > 0
            ? v.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray() : [];
        var config = new CaptionerConfig
        {
            Kind = st.Metadata["kind"], Vocab = M("vocab"), Embed = M("embed"), Hidden = M("hidden"), GridRows = M("grid_rows"),
            GridCols = M("grid_cols"), FeatureDim = M("feature_dim"), AttentionDim = M("attention_dim"),
            DoublyStochastic = Fl("lambda"), MaxWords = M("max_words"),
            SingularWords = Ids("singular_words"), PluralWords = Ids("plural_words"), AttentionEntropy = Fl("attention_entropy"),
            AttentionEntropyOn = st.Metadata.GetValueOrDefault("attention_entropy_on", "all"), FeatureDropout = Fl("feature_dropout"),
            ContextDropout = Fl("context_dropout"), LabelSmoothing = Fl("label_smoothing"),
            InitialState = st.Metadata.GetValueOrDefault("initial_state", "image"),
            Attention = st.Metadata.GetValueOrDefault("attention", "soft"),
            ReinforceWeight = st.Metadata.ContainsKey("reinforce_weight") ? Fl("reinforce_weight") : 1f,
            HardEntropy = Fl("hard_entropy"), BaselineDecay = st.Metadata.ContainsKey("baseline_decay") ? Fl("baseline_decay") : 0.9f,
            HardDecoding = st.Metadata.GetValueOrDefault("hard_decoding", "argmax"),
        };
        var model = Captioners.Create(config);
        foreach (var p in model.Store.Parameters) p.CopyFrom(st.Tensors[p.Name]);
        Assert.Equal(st.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), model.Store.Parameters.Count);
        return (model, st, st.Tensors["features"], st.Tensors["captions"].Data.Select(v => (int)v).ToArray());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void LossAndGradientsMatchPyTorch(string file)
    {
        var (model, st, features, captions) = Load(file);
        var t = st.Tensors;
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        var eval = model.Loss(features, captions);
        report.Add("loss_ce (eval)", [(float)eval.CrossEntropy], [1], t["loss_ce"]);
        report.Add("loss_reg (eval)", [(float)eval.Regulariser], [1], t["loss_reg"]);
        var trainFeatures = features;
        if (t.TryGetValue("keep.features", out var keepFeatures))
        {
            trainFeatures = new Tensor(features.Data.ToArray(), features.Shape[0], features.Shape[1], features.Shape[2]);
            int coordinates = int.Parse(st.Metadata.GetValueOrDefault("coordinates", "0"), CultureInfo.InvariantCulture);
            var drops = Rng.WithKeepDecisions(keepFeatures.Data);
            CaptionTask.DropFeatures(trainFeatures.Data, model.Config.FeatureDim, coordinates, model.Config.FeatureDropout, drops);
            Assert.Equal(0, drops.KeepDecisionsLeft);
        }
        var trainCe = t.GetValueOrDefault("train.loss_ce", t["loss_ce"]);
        var trainReg = t.GetValueOrDefault("train.loss_reg", t["loss_reg"]);
        var hard = model as AttentionCaptioner is { Config.Attention: "hard" } ? (AttentionCaptioner)model : null;
        var forced = hard is null ? null
            : HardAttentionDraws.Forced([.. t["hard.expected"].Data.Select(v => v != 0)], [.. t["hard.locations"].Data.Select(v => (int)v)]);
        foreach (int threads in new[] { 1, 2 })
        {
            model.Threads = threads;
            var rng = t.TryGetValue("keep.context", out var keepContext) ? Rng.WithKeepDecisions(keepContext.Data) : new Rng(1);
            if (hard is not null)
                hard.Baseline = new ReinforceBaseline(float.Parse(st.Metadata["baseline"], CultureInfo.InvariantCulture),
                    long.Parse(st.Metadata["baseline_updates"], CultureInfo.InvariantCulture));
            var loss = hard is null ? model.TrainStep(trainFeatures, captions, rng) : hard.TrainStep(trainFeatures, captions, rng, forced);
            if (hard is not null)
            {
                report.Add($"hard.rewards ({threads})", [.. hard.HardRewards.ToArray().Select(r => (float)r)], [t["hard.rewards"].Length], t["hard.rewards"]);
                report.Add($"hard.baseline ({threads})", [hard.Baseline.Value], [1], t["hard.baseline"]);
                Assert.Equal(long.Parse(st.Metadata["baseline_updates"], CultureInfo.InvariantCulture) + 1, hard.Baseline.Updates);
            }
            Assert.Equal(0, rng.KeepDecisionsLeft);
            report.Add($"loss_ce ({threads} thread(s))", [(float)loss.CrossEntropy], [1], trainCe);
            report.Add("loss_reg", [(float)loss.Regulariser], [1], trainReg);
            foreach (var p in model.Store.Parameters) report.Add($"grad.{p.Name} ({threads})", p.Grad, p.Shape, t["grad." + p.Name]);
        }
        report.AssertAll();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TheStepperFedTheSameWordsGivesTheSameLogitsAndAttention(string file)
    {
        var (model, st, features, captions) = Load(file);
        var logits = st.Tensors["logits"]; // (T, B, V)
        int T = logits.Shape[0], B = logits.Shape[1], V = logits.Shape[2], W = model.Config.MaxWords + 2;
        var stepper = model.Begin(features);
        var report = new FixtureAssert.Report(file, 1e-4, 1e-4);
        var ids = new int[B];
        for (int step = 0; step < T; step++)
        {
            for (int b = 0; b < B; b++) ids[b] = captions[b * W + step];
            var got = stepper.Step(ids);
            report.Add($"logits[{step}]", got, [B, V], new Tensor(logits.Data.AsSpan(step * B * V, B * V).ToArray(), B, V));
            if (st.Tensors.TryGetValue("attention_map", out var alpha) || st.Tensors.TryGetValue("alpha", out alpha))
            {
                int L = alpha.Shape[2];
                report.Add($"alpha[{step}]", stepper.Attention, [B, L], new Tensor(alpha.Data.AsSpan(step * B * L, B * L).ToArray(), B, L));
            }
        }
        report.AssertAll();
    }
}
