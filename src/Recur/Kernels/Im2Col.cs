namespace Recur.Kernels;

/// <summary>
/// The unfolding that turns a 2-D convolution into one matrix product (Caffe's <c>im2col</c>, PyTorch's
/// <c>nn.Unfold</c>): each output position's receptive field becomes a column. For an image <c>(C, H, W)</c>, a
/// square kernel <c>k</c>, stride <c>s</c> and zero padding <c>p</c>, the columns are a <c>(C*k*k, Ho*Wo)</c> block
/// with row <c>(c*k + ki)*k + kj</c> and column <c>oy*Wo + ox</c> holding <c>x[c, oy*s - p + ki, ox*s - p + kj]</c>
/// (0 outside the image), where <c>Ho = (H + 2p - k)/s + 1</c>. <see cref="Fold"/> is its adjoint: it adds every
/// column entry back onto the pixel it came from, which is the input gradient of the convolution.
/// </summary>
public static class Im2Col
{
    /// <summary>The output side of a convolution or pooling window: <c>(size + 2*pad - kernel)/stride + 1</c>.</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad) => (size + 2 * pad - kernel) / stride + 1;

    /// <summary>
    /// Writes the columns of <paramref name="image"/> <c>(C, H, W)</c> into <paramref name="cols"/>, a block of
    /// <c>C*k*k</c> rows of <c>Ho*Wo</c> values starting at row stride <paramref name="ldCols"/> (the block may be one
    /// image's slice of a wider batch matrix).
    /// </summary>
    public static void Unfold(ReadOnlySpan<float> image, int channels, int height, int width, int kernel, int stride, int pad,
        Span<float> cols, int ldCols)
    {
        int ho = OutputSize(height, kernel, stride, pad), wo = OutputSize(width, kernel, stride, pad);
        for (int c = 0; c < channels; c++)
            for (int ki = 0; ki < kernel; ki++)
                for (int kj = 0; kj < kernel; kj++)
                {
                    int row = (c * kernel + ki) * kernel + kj;
                    var dst = cols.Slice(row * ldCols, ho * wo);
                    ValidRange(width, wo, kj, stride, pad, out int ox0, out int ox1);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        var line = dst.Slice(oy * wo, wo);
                        int iy = oy * stride - pad + ki;
                        if ((uint)iy >= (uint)height || ox0 >= ox1) { line.Clear(); continue; }
                        var src = image.Slice((c * height + iy) * width, width);
                        line[..ox0].Clear();
                        line[ox1..].Clear();
                        if (stride == 1) src.Slice(ox0 - pad + kj, ox1 - ox0).CopyTo(line[ox0..ox1]);
                        else for (int ox = ox0; ox < ox1; ox++) line[ox] = src[ox * stride - pad + kj];
                    }
                }
    }

    /// <summary>
    /// The adjoint of <see cref="Unfold"/>: adds each entry of <paramref name="cols"/> (the same layout) onto the pixel
    /// of <paramref name="image"/> <c>(C, H, W)</c> it was read from. Padding positions are dropped. The image is
    /// accumulated into, not overwritten.
    /// </summary>
    public static void Fold(ReadOnlySpan<float> cols, int ldCols, int channels, int height, int width, int kernel, int stride, int pad,
        Span<float> image)
    {
        int ho = OutputSize(height, kernel, stride, pad), wo = OutputSize(width, kernel, stride, pad);
        for (int c = 0; c < channels; c++)
            for (int ki = 0; ki < kernel; ki++)
                for (int kj = 0; kj < kernel; kj++)
                {
                    int row = (c * kernel + ki) * kernel + kj;
                    var src = cols.Slice(row * ldCols, ho * wo);
                    ValidRange(width, wo, kj, stride, pad, out int ox0, out int ox1);
                    if (ox0 >= ox1) continue;
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * stride - pad + ki;
                        if ((uint)iy >= (uint)height) continue;
                        var dst = image.Slice((c * height + iy) * width, width);
                        var line = src.Slice(oy * wo, wo);
                        if (stride == 1)
                            System.Numerics.Tensors.TensorPrimitives.Add(
                                dst.Slice(ox0 - pad + kj, ox1 - ox0), line[ox0..ox1], dst.Slice(ox0 - pad + kj, ox1 - ox0));
                        else for (int ox = ox0; ox < ox1; ox++) dst[ox * stride - pad + kj] += line[ox];
                    }
                }
    }

    /// <summary>The output columns <c>[ox0, ox1)</c> whose input column <c>ox*stride - pad + kj</c> lies inside <c>[0, width)</c>.</summary>
    private static void ValidRange(int width, int wo, int kj, int stride, int pad, out int ox0, out int ox1)
    {
        // ox*stride - pad + kj >= 0  <=>  ox >= ceil((pad - kj) / stride)
        int lo = pad - kj;
        ox0 = lo <= 0 ? 0 : (lo + stride - 1) / stride;
        // ox*stride - pad + kj <= width - 1  <=>  ox <= floor((width - 1 + pad - kj) / stride)
        int hi = width - 1 + pad - kj;
        ox1 = hi < 0 ? 0 : Math.Min(wo, hi / stride + 1);
        if (ox0 > ox1) ox0 = ox1;
    }
}
