using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Models.Decoding;

namespace Recur.Tests.Export;

/// <summary>
/// A decoder step graph run in ONNX Runtime as an <see cref="IDecoderStepper"/>, so Recur's own greedy decoder drives
/// it: each step feeds the previous tokens (<paramref name="tokenInput"/>, int64 <c>[B]</c>), the fixed inputs (features,
/// annotations, lengths) and the states, whose outputs (<c>{state}n</c>) are the next step's inputs.
/// </summary>
internal sealed class OnnxDecoderStepper(byte[] onnx, string tokenInput, int batch, Dictionary<string, NamedOnnxValue> fixedInputs,
    Dictionary<string, DenseTensor<float>> states) : IDecoderStepper, IDisposable
{
    private readonly InferenceSession _session = new(onnx);
    private float[] _logits = [], _attention = [];

    public int Batch => batch;

    public ReadOnlySpan<float> Attention => _attention;

    /// <summary>Every step's logits <c>(B, V)</c>, in order.</summary>
    public List<float[]> Logits { get; } = [];

    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        var ids = new long[previous.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = previous[i];
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(tokenInput, new DenseTensor<long>(ids, [batch])) };
        inputs.AddRange(fixedInputs.Values.Where(v => _session.InputMetadata.ContainsKey(v.Name)));
        inputs.AddRange(states.Select(s => NamedOnnxValue.CreateFromTensor(s.Key, s.Value)));
        using var r = _session.Run(inputs);
        foreach (var v in r)
        {
            var t = v.AsTensor<float>();
            if (v.Name == "logits") _logits = t.ToArray();
            else if (v.Name == "attention") _attention = t.ToArray();
            else states[v.Name[..^1]] = new DenseTensor<float>(t.ToArray(), t.Dimensions.ToArray());
        }
        Logits.Add(_logits);
        return _logits;
    }

    public void Select(ReadOnlySpan<int> rows) => throw new NotSupportedException("the test drives greedy decoding only.");

    public void Dispose() => _session.Dispose();
}

/// <summary>Records the logits of every step of a stepper.</summary>
internal sealed class RecordingStepper(IDecoderStepper inner) : IDecoderStepper
{
    public List<float[]> Logits { get; } = [];
    public List<float[]> Attentions { get; } = [];
    public int Batch => inner.Batch;
    public ReadOnlySpan<float> Attention => inner.Attention;

    public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
    {
        var l = inner.Step(previous);
        Logits.Add(l.ToArray());
        Attentions.Add(inner.Attention.ToArray());
        return l;
    }

    public void Select(ReadOnlySpan<int> rows) => inner.Select(rows);
}
