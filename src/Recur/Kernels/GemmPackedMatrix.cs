namespace Recur.Kernels;

/// <summary>
/// The B operand of a GEMM, <c>op(B)</c> of shape <c>(K,N)</c>, packed once into the micro-kernel's
/// panel layout so repeated products with the same B (an RNN's <c>W_hh</c> over every step of a
/// sequence chunk) skip the packing. Made by <see cref="Gemm.PackB(bool, int, int, ReadOnlySpan{float}, int)"/>;
/// refilled in place (reusing its buffer when it is large enough) by
/// <see cref="Gemm.PackB(bool, int, int, ReadOnlySpan{float}, int, PackedMatrix)"/>.
/// A packed product gives the same bits as the unpacked
/// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>.
/// The packed copy does not track later changes to the source: repack after updating the weights.
/// </summary>
public sealed class PackedMatrix
{
    private float[] _buffer = [];
    private int _offset;

    /// <summary>An empty packed matrix (0x0), to be filled by <see cref="Gemm.PackB(bool, int, int, ReadOnlySpan{float}, int, PackedMatrix)"/>.</summary>
    public PackedMatrix()
    {
    }

    /// <summary>Rows of <c>op(B)</c>: the inner dimension K of the product.</summary>
    public int K { get; private set; }

    /// <summary>Columns of <c>op(B)</c>: the N of the product.</summary>
    public int N { get; private set; }

    /// <summary>Floats held by the packed buffer (including padding of N up to the panel width).</summary>
    public int PackedLength { get; private set; }

    internal GemmIsa Isa { get; private set; }

    internal float[] Buffer => _buffer;

    internal int Offset => _offset;

    /// <summary>Sizes the buffer for a <c>(k, n)</c> operand, reusing the current one when big enough.</summary>
    internal unsafe void Reset(GemmIsa isa, int k, int n, int length)
    {
        if (_buffer.Length < length + 16)
        {
            // Pinned (never moves), so the 64-byte aligned start computed here stays valid.
            _buffer = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
            nint addr = (nint)Unsafe.AsPointer(ref _buffer[0]);
            _offset = (int)((64 - (addr & 63)) & 63) / sizeof(float);
        }
        Isa = isa;
        K = k;
        N = n;
        PackedLength = length;
    }
}
