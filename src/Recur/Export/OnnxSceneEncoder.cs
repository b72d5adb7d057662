using Recur.Models.Captioning;

namespace Recur.Export;

/// <summary>
/// The captioners' frozen scene encoder (<see cref="SceneEncoder"/>) as an ONNX graph: <c>images</c> float <c>[B, H, W]</c>
/// (grey pixels / 255) to <c>features</c> <c>[B, L, D]</c>, what the captioner's start and step graphs read. The
/// classifier's stages (Conv, ReLU, MaxPool), then <c>conv</c> features (the grid max-pooled by the grid pool),
/// <c>fc</c> features (the fully connected layer over each image-sized window: a convolution whose kernel is the window,
/// then ReLU) or <c>scores</c> (the head over them, a 1 x 1 convolution); black padding, the coordinates and the
/// channels' maxima as Recur adds them.
/// </summary>
public static class OnnxSceneEncoder
{
    /// <summary>The encoder graph.</summary>
    public static byte[] Build(SceneEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var net = encoder.Network;
        var cfg = net.Config;
        var s = net.Store;
        var g = new OnnxGraph("recur-scene-encoder");
        var o = new OnnxOps(g);
        string images = g.Input("images", OnnxGraph.FloatType, "B", "H", "W");
        string x = g.Op("Unsqueeze", [images, o.Longs(1)]); // [B, 1, H, W]
        if (encoder.Padding > 0)
        {
            long p = encoder.Padding;
            x = g.Op("Pad", [x, o.Longs(0, 0, p, p, 0, 0, p, p)]);
        }
        for (int k = 0; k < cfg.Channels.Length; k++)
        {
            string conv = g.Op("Conv", [x, o.Param(s[$"conv{k}.weight"]), o.Param(s[$"conv{k}.bias"])],
                ("kernel_shape", new long[] { cfg.Kernel, cfg.Kernel }), ("pads", Enumerable.Repeat((long)(cfg.Kernel / 2), 4).ToArray()));
            x = g.Op("MaxPool", [o.Relu(conv)], ("kernel_shape", new long[] { cfg.Pool, cfg.Pool }), ("strides", new long[] { cfg.Pool, cfg.Pool }));
        }
        if (encoder.Features == "conv")
        {
            if (encoder.GridPool > 1)
            {
                long q = encoder.GridPool;
                x = g.Op("MaxPool", [x], ("kernel_shape", new long[] { q, q }), ("strides", new long[] { q, q }));
            }
        }
        else
        {
            long gh = cfg.GridSize(cfg.Rows), gw = cfg.GridSize(cfg.Cols), C = cfg.Channels[^1];
            long sy = encoder.WindowStride > 0 ? encoder.WindowStride : gh, sx = encoder.WindowStride > 0 ? encoder.WindowStride : gw;
            var fc = s["fc.weight"]; // (Fc, C * gh * gw), each row a (C, gh, gw) kernel
            x = o.Relu(g.Op("Conv", [x, o.Const(fc.Value, fc.Shape[0], C, gh, gw), o.Param(s["fc.bias"])],
                ("kernel_shape", new long[] { gh, gw }), ("strides", new long[] { sy, sx })));
            if (encoder.Features == "scores")
            {
                var head = s["head.weight"];
                x = g.Op("Conv", [x, o.Const(head.Value, head.Shape[0], head.Shape[1], 1, 1), o.Param(s["head.bias"])], ("kernel_shape", new long[] { 1, 1 }));
            }
        }
        // [B, C, R, Q] -> [B, R*Q, C]
        string grid = g.Op("Transpose", [g.Op("Reshape", [x, o.Longs(0, 0, -1)])], ("perm", new long[] { 0, 2, 1 }));
        if (encoder.ChannelMax) grid = o.Concat(1, grid, g.Op("ReduceMax", [grid], ("axes", new long[] { 1 }), ("keepdims", 1)));
        if (encoder.Coordinates) grid = o.Concat(2, grid, Coordinates(o, x));
        g.Output(o.Name(grid, "features"), OnnxGraph.FloatType, "B", "L", encoder.FeatureDim);
        return g.ToBytes(opset: OnnxOps.Opset);
    }

    /// <summary>
    /// Each location's row and column scaled to <c>[-1, 1]</c> (0 for a single one), <c>[B, R*Q, 2]</c>, from the grid
    /// <c>[B, C, R, Q]</c>'s shape: <c>2k / max(n - 1, 1) - [n &gt; 1]</c>.
    /// </summary>
    private static string Coordinates(OnnxOps o, string x)
    {
        var g = o.Graph;
        string shape = g.Op("Shape", [x]);
        string Dim(int i) => g.Op("Squeeze", [o.Slice(shape, 0, i, 1), o.Longs(0)]);
        string Scaled(string n)
        {
            string nf = g.Op("Cast", [n], ("to", OnnxGraph.FloatType));
            string k = g.Op("Cast", [g.Op("Range", [g.Constant(g.Fresh("zero"), [0L]), n, g.Constant(g.Fresh("one"), [1L])])], ("to", OnnxGraph.FloatType));
            string span = o.Max(o.Sub(nf, o.Scalar(1f)), o.Scalar(1f));
            string many = g.Op("Cast", [g.Op("Greater", [nf, o.Scalar(1f)])], ("to", OnnxGraph.FloatType));
            return o.Sub(o.Div(o.Mul(o.Scalar(2f), k), span), many);
        }
        string R = Dim(2), Q = Dim(3);
        string rows = g.Op("Unsqueeze", [Scaled(R), o.Longs(1)]), cols = g.Op("Unsqueeze", [Scaled(Q), o.Longs(0)]); // [R, 1], [1, Q]
        string zero = g.Op("Mul", [rows, cols]);
        zero = o.Sub(zero, zero); // [R, Q] zeros, to broadcast both
        string both = o.Concat(2, g.Op("Unsqueeze", [o.Add(rows, zero), o.Longs(2)]), g.Op("Unsqueeze", [o.Add(cols, zero), o.Longs(2)])); // [R, Q, 2]
        string flat = g.Op("Reshape", [both, o.Longs(1, -1, 2)]);
        string batch = g.Op("Unsqueeze", [Dim(0), o.Longs(0)]);
        return g.Op("Expand", [flat, o.Concat(0, batch, o.Longs(1, 1))]);
    }
}
