namespace Recur.Models.Draw;

/// <summary>
/// DRAW's read operation, <c>r_t = read(x, x̂_t, h_dec_{t-1})</c>, over a batch of <c>B</c> images of <c>P</c> pixels,
/// step by step, keeping what its backward needs for every step since <see cref="Begin"/>.
/// </summary>
internal interface IDrawReader
{
    /// <summary>Floats per image handed to the encoder.</summary>
    int Size { get; }

    /// <summary>Threads for the GEMMs.</summary>
    int Threads { get; set; }

    /// <summary>Draws its parameters (PyTorch's default <c>nn.Linear</c> initialisation).</summary>
    void Reset(Rng rng);

    /// <summary>Sizes the caches for <paramref name="steps"/> steps of <paramref name="batch"/> images.</summary>
    void Begin(int steps, int batch);

    /// <summary>
    /// Step <paramref name="t"/>: from <paramref name="x"/> and <paramref name="xHat"/> <c>(B, P)</c> and the previous decoder
    /// state <paramref name="hDecPrev"/> <c>(B, H_dec)</c>, writes row <c>b</c> of the read to
    /// <c>r[b * ldr .. b * ldr + Size)</c>.
    /// </summary>
    void Forward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, Span<float> r, int ldr);

    /// <summary>
    /// Backward of step <paramref name="t"/> (same inputs, and the read <paramref name="r"/> it produced) from
    /// <paramref name="dr"/> (rows of stride <paramref name="ldr"/>): accumulates its parameters' gradients, writes
    /// <paramref name="dxHat"/> <c>(B, P)</c> and adds its share to <paramref name="dhDecPrev"/> <c>(B, H_dec)</c>.
    /// </summary>
    void Backward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, ReadOnlySpan<float> r,
        ReadOnlySpan<float> dr, int ldr, Span<float> dxHat, Span<float> dhDecPrev);
}

/// <summary>
/// DRAW's write operation, <c>c_t = c_{t-1} + write(h_dec_t)</c>, over a batch of <c>B</c> canvases of <c>P</c> pixels,
/// step by step, keeping what its backward needs for every step since <see cref="Begin"/>.
/// </summary>
internal interface IDrawWriter
{
    /// <summary>Threads for the GEMMs.</summary>
    int Threads { get; set; }

    /// <summary>Draws its parameters (PyTorch's default <c>nn.Linear</c> initialisation).</summary>
    void Reset(Rng rng);

    /// <summary>Sizes the caches for <paramref name="steps"/> steps of <paramref name="batch"/> images.</summary>
    void Begin(int steps, int batch);

    /// <summary>Step <paramref name="t"/>: adds <c>write(h_dec_t)</c> to <paramref name="canvas"/> <c>(B, P)</c>.</summary>
    void Forward(int t, ReadOnlySpan<float> hDec, Span<float> canvas);

    /// <summary>
    /// Backward of step <paramref name="t"/> from the gradient on the canvas <paramref name="dCanvas"/> <c>(B, P)</c> (which is
    /// the gradient on the write): accumulates its parameters' gradients and adds its share to <paramref name="dhDec"/> <c>(B, H_dec)</c>.
    /// </summary>
    void Backward(int t, ReadOnlySpan<float> hDec, ReadOnlySpan<float> dCanvas, Span<float> dhDec);
}
