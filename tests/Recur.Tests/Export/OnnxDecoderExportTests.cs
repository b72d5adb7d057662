using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Export;
using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Xunit;

namespace Recur.Tests.Export;

/// <summary>
/// The decoders' ONNX graphs, driven by Recur's greedy decoder through ONNX Runtime, must write Recur's tokens and give
/// Recur's logits and attention weights at every step within 1e-4: the attention LSTM sequence-to-sequence model
/// (encoder graph, then the step graph) and the captioners' step graphs.
/// </summary>
public sealed class OnnxDecoderExportTests
{
    private static void Close(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4 + 1e-4 * Math.Abs(want[i]), $"{what}[{i}]: Recur {want[i]}, ONNX Runtime {got[i]}");
    }

    /// <summary>Greedy decoding with Recur's stepper and the ONNX one: the same tokens, logits and attention at every step.</summary>
    internal static void SameGreedy(IDecoderStepper recur, OnnxDecoderStepper onnx, int vocab, int maxTokens)
    {
        var want = new RecordingStepper(recur);
        var got = new RecordingStepper(onnx);
        var a = GreedyDecoder.Decode(want, vocab, 1, 2, maxTokens);
        var b = GreedyDecoder.Decode(got, vocab, 1, 2, maxTokens);
        for (int r = 0; r < a.Length; r++) Assert.Equal(a[r].Tokens, b[r].Tokens);
        Assert.Equal(want.Logits.Count, got.Logits.Count);
        Assert.True(want.Logits.Count > 2, $"greedy decoding stopped after {want.Logits.Count} steps: too few to check the carried state");
        for (int t = 0; t < want.Logits.Count; t++)
        {
            Close(want.Logits[t], got.Logits[t], $"step {t} logits");
            Close(want.Attentions[t], got.Attentions[t], $"step {t} attention");
        }
    }

    [Theory]
    [InlineData("bahdanau", 1)]
    [InlineData("luong", 2)]
    [InlineData("none", 1)]
    public void Seq2SeqGreedyDecodingIsRecurs(string attention, int layers)
    {
        var m = new Seq2SeqModel(new Seq2SeqConfig
        {
            SourceVocab = 11, TargetVocab = 10, Embed = 5, Hidden = 4, Layers = layers, DecoderHidden = 6, Attention = attention,
            AttentionDim = 5, MaxTarget = 8,
        });
        var rng = new Rng(11);
        m.Reset(rng);
        int B = 3, Ts = 5;
        int[] lengths = [5, 3, 4];
        var source = new int[Ts * B];
        for (int t = 0; t < Ts; t++) for (int b = 0; b < B; b++) source[t * B + b] = t < lengths[b] ? 3 + rng.NextInt(8) : 0;

        using var encoder = new InferenceSession(OnnxSeq2Seq.Encoder(m));
        var lens = NamedOnnxValue.CreateFromTensor("lengths", new DenseTensor<long>(lengths.Select(v => (long)v).ToArray(), [B]));
        using var enc = encoder.Run([NamedOnnxValue.CreateFromTensor("source", new DenseTensor<long>(source.Select(v => (long)v).ToArray(), [Ts, B])), lens]);
        var outs = enc.ToDictionary(v => v.Name, v => v.AsTensor<float>());
        var fixedInputs = new Dictionary<string, NamedOnnxValue>();
        if (m.Attends)
        {
            fixedInputs["lengths"] = lens;
            foreach (var name in new[] { "annotations", "keys" })
                fixedInputs[name] = NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(outs[name].ToArray(), outs[name].Dimensions.ToArray()));
        }
        var states = new Dictionary<string, DenseTensor<float>>
        {
            ["h"] = new(outs["h0"].ToArray(), [B, 6]), ["c"] = new(outs["c0"].ToArray(), [B, 6]),
        };
        using var onnx = new OnnxDecoderStepper(OnnxSeq2Seq.DecoderStep(m), "previous", B, fixedInputs, states);
        SameGreedy(m.Begin(new Seq2SeqBatch(source, lengths, null)), onnx, 10, m.MaxTarget);
    }

    [Theory]
    [InlineData("attention", "soft", "image", false)]
    [InlineData("attention", "soft", "zero", true)]
    [InlineData("attention", "hard", "image", true)]
    [InlineData("lstm", "soft", "image", false)]
    [InlineData("rnn", "soft", "image", false)]
    public void CaptionerGreedyDecodingIsRecurs(string kind, string attention, string initial, bool visualWords)
    {
        int V = 12, H = 6, L = 6, D = 4, B = 3;
        var m = Captioners.Create(new CaptionerConfig
        {
            Kind = kind, Vocab = V, Embed = 5, Hidden = H, GridRows = 2, GridCols = 3, FeatureDim = D, AttentionDim = 5, MaxWords = 7,
            Attention = attention, InitialState = initial, SingularWords = visualWords ? [5, 6] : [], PluralWords = visualWords ? [7] : [],
        });
        var rng = new Rng(12);
        m.Reset(rng);
        m.Store["head.bias"].Value[2] -= 2f; // <END> less likely: an untrained model's captions run several steps
        var features = Tensor.Uniform(rng, 1f, B, L, D);
        var fixedInputs = new Dictionary<string, NamedOnnxValue>
        {
            ["features"] = NamedOnnxValue.CreateFromTensor("features", new DenseTensor<float>(features.Data.ToArray(), [B, L, D])),
        };
        using var start = new InferenceSession(OnnxCaptioner.Start(m));
        using var begun = start.Run([fixedInputs["features"]]);
        var states = begun.ToDictionary(v => v.Name[..^1], v => new DenseTensor<float>(v.AsTensor<float>().ToArray(), [B, H]));
        Assert.Equal(kind == "rnn" ? 1 : 2, states.Count);
        using var onnx = new OnnxDecoderStepper(OnnxCaptioner.Step(m), "previous", B, fixedInputs, states);
        SameGreedy(m.Begin(features), onnx, V, m.Config.MaxWords);
    }

    [Theory]
    [InlineData("conv", 3, true, 0, 0, false)]
    [InlineData("fc", 1, true, 0, 0, false)]
    [InlineData("fc", 1, false, 1, 0, false)]
    [InlineData("scores", 1, false, 0, 4, true)]
    public void SceneEncoderGivesRecursFeatures(string kind, int gridPool, bool coordinates, int stride, int padding, bool channelMax)
    {
        var net = new ConvNet(new ConvNetConfig { Rows = 28, Cols = 28, Channels = [3, 4], Fc = 5, Classes = 4 });
        var rng = new Rng(13);
        net.Reset(rng);
        var encoder = new SceneEncoder(net, gridPool, coordinates, kind, stride, padding, channelMax);
        int B = 2, side = 84;
        var pixels = Enumerable.Range(0, B).Select(_ => Enumerable.Range(0, side * side).Select(_ => (byte)rng.NextInt(256)).ToArray()).ToList();
        var want = encoder.Encode(pixels, side, side);
        using var session = new InferenceSession(OnnxSceneEncoder.Build(encoder));
        var images = new DenseTensor<float>(pixels.SelectMany(p => p.Select(v => v / 255f)).ToArray(), [B, side, side]);
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("images", images)]);
        var got = r.First(v => v.Name == "features").AsTensor<float>();
        Assert.Equal(want.Shape, got.Dimensions.ToArray());
        Close(want.Data, got.ToArray(), "features");
    }
}
