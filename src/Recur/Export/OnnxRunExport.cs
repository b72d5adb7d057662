using Recur.Models;
using Recur.Models.Captioning;
using Recur.Models.Seq2Seq;

namespace Recur.Export;

/// <summary>One ONNX file of a run's export: where it goes, its bytes and what it is (inputs and outputs in words).</summary>
public sealed record OnnxFile(string Path, byte[] Bytes, string What);

/// <summary>
/// The ONNX graph(s) of a model (<c>recur export RUN --onnx FILE</c> picks by the run's task), chosen by its kind: one file for a
/// character model or a classifier, several (named after <c>FILE</c>: <c>NAME-encoder.onnx</c>, a captioner's
/// <c>NAME-start.onnx</c>, and <c>NAME-step.onnx</c>) for the decoders whose state begins from their input (captioners,
/// attention sequence-to-sequence).
/// </summary>
public static class OnnxRunExport
{
    /// <summary>The character model's graph: ONNX's recurrent operators where they exist, else a step graph, or the Transformer's sequence graph.</summary>
    public static OnnxFile Char(CharModel model, string file)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        if (!c.IsBlockModel && OnnxExport.Cells.Contains(model.Rnn.Cell.Name) && !c.Highway)
            return new(file, OnnxExport.Char(model),
                "the whole-sequence graph (ONNX's recurrent operators): tokens [T, B], h0 (c0) to logits [T, B, V], hn (cn)");
        if (c.Cell == "transformer")
            return new(file, OnnxTransformer.Build(model),
                $"the whole-sequence graph with a causal mask: tokens [T, B], T <= {c.Context}, to logits [T, B, V]");
        var bytes = OnnxCharStep.Build(model);
        return new(file, bytes, "the one-step graph: tokens [1, B] and the states {name}0 [L, B, ...] to logits [1, B, V] and {name}n");
    }

    /// <summary>A captioner's scene encoder (when given), start and step graphs.</summary>
    public static OnnxFile[] Captioner(ICaptioner model, string file, SceneEncoder? encoder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var files = new List<OnnxFile>();
        if (encoder is not null)
            files.Add(new(Named(file, "encoder"), OnnxSceneEncoder.Build(encoder), "the scene encoder: images [B, H, W] (pixels / 255) to features [B, L, D]"));
        files.Add(new(Named(file, "start"), OnnxCaptioner.Start(model), "the start: features [B, L, D] to h0 (c0)"));
        files.Add(new(Named(file, "step"), OnnxCaptioner.Step(model),
            "the step: features, previous [B], h (c) to logits [B, V]" + (model.Config.Kind == "attention" ? ", attention [B, L]" : "") + ", hn (cn)"));
        return [.. files];
    }

    /// <summary>A sequence-to-sequence model's encoder and decoder step graphs (the attention LSTM only).</summary>
    public static OnnxFile[] Seq2Seq(ISeq2SeqModel model, string file)
    {
        if (model is not Seq2SeqModel m)
            throw new NotSupportedException(
                "the Transformer sequence-to-sequence model has no ONNX export; the attention LSTM (--model lstm, translate's rnn) has.");
        return
        [
            new(Named(file, "encoder"), OnnxSeq2Seq.Encoder(m),
                "the encoder: source [Ts, B], lengths [B] to " + (m.Attends ? "annotations, keys, " : "") + "h0, c0"),
            new(Named(file, "step"), OnnxSeq2Seq.DecoderStep(m),
                "the decoder step: previous [B], h, c" + (m.Attends ? ", annotations, keys, lengths" : "") + " to logits [B, V]"
                + (m.Attends ? ", attention [B, Ts]" : "") + ", hn, cn"),
        ];
    }

    /// <summary><c>dir/name.onnx</c> to <c>dir/name-part.onnx</c>.</summary>
    public static string Named(string file, string part)
    {
        ArgumentNullException.ThrowIfNull(file);
        string dir = Path.GetDirectoryName(file) ?? "", stem = Path.GetFileNameWithoutExtension(file), ext = Path.GetExtension(file);
        return Path.Combine(dir, $"{stem}-{part}{(ext.Length == 0 ? ".onnx" : ext)}");
    }
}
