namespace Recur.Data.Glimpse;

/// <summary>
/// One clutter piece: the 8x8 crop of image <paramref name="Source"/> at (<paramref name="CropX"/>, <paramref name="CropY"/>),
/// pasted at (<paramref name="X"/>, <paramref name="Y"/>).
/// </summary>
public sealed record ClutterPiece(int Source, int CropX, int CropY, int X, int Y);

/// <summary>
/// One cluttered canvas: the object image <paramref name="Object"/> (of class <paramref name="Label"/>) with its top-left corner at
/// (<paramref name="X"/>, <paramref name="Y"/>), and the clutter. Indices are into the split's <see cref="ClutteredSplit.Images"/>.
/// </summary>
public sealed record ClutteredExample(int Object, int Label, int X, int Y, IReadOnlyList<ClutterPiece> Clutter);

/// <summary>
/// Cluttered translated Fashion-MNIST (after Mnih et al. 2014's cluttered translated MNIST), drawn deterministically: a canvas of
/// <c>S x S</c> black pixels, one 28x28 object placed uniformly at random wholly inside it (top-left corner in <c>[0, S-28]²</c>),
/// and <c>K</c> clutter pieces, each an 8x8 crop (corner uniform in <c>[0, 20]²</c>) of another image of the same pool (uniform
/// over the pool's images other than the object), placed uniformly wholly inside the canvas (corner in <c>[0, S-8]²</c>).
/// Overlaps keep the brighter pixel (<c>max</c>), so the order of pasting does not matter. Grey levels are <c>p / 255</c>.
/// <para>
/// Each canvas has its own random stream, seeded from the options' seed, the split's stream, the epoch and the object's place
/// in the pool; the draws come in this order: the object's corner (x, then y), then per piece its source, crop x, crop y, x, y.
/// </para>
/// </summary>
public static class ClutterGenerator
{
    /// <summary>The draws of the object <paramref name="obj"/> of <paramref name="images"/> with clutter from <paramref name="pool"/>.</summary>
    public static ClutteredExample Draw(LabeledImages images, Range pool, int obj, ClutterOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        CheckImages(images);
        var (start, count) = pool.GetOffsetAndLength(images.Count);
        if (obj < start || obj >= start + count)
            throw new ArgumentOutOfRangeException(nameof(obj), obj, $"the object must be in the pool [{start}, {start + count}).");
        int room = options.Size - ClutterOptions.ObjectSide + 1, pieceRoom = options.Size - ClutterOptions.PieceSide + 1;
        int cropRoom = ClutterOptions.ObjectSide - ClutterOptions.PieceSide + 1;
        int x = rng.NextInt(room), y = rng.NextInt(room);
        var pieces = new ClutterPiece[options.Clutter];
        for (int k = 0; k < pieces.Length; k++)
        {
            int source = obj;
            if (count > 1)
            {
                source = start + rng.NextInt(count - 1);
                if (source >= obj) source++;
            }
            int cx = rng.NextInt(cropRoom), cy = rng.NextInt(cropRoom);
            pieces[k] = new ClutterPiece(source, cx, cy, rng.NextInt(pieceRoom), rng.NextInt(pieceRoom));
        }
        return new ClutteredExample(obj, images.Labels[obj], x, y, pieces);
    }

    /// <summary>
    /// Paints <paramref name="example"/> onto <paramref name="canvas"/> <c>(S, S)</c> row-major, grey levels in [0, 1]: zeros, then
    /// every piece and the object, each pixel the brightest of what covers it.
    /// </summary>
    public static void Render(ClutteredExample example, LabeledImages images, int size, Span<float> canvas)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(images);
        CheckImages(images);
        Guard.Length(canvas.Length, size * size, nameof(canvas));
        canvas.Clear();
        const int side = ClutterOptions.ObjectSide, piece = ClutterOptions.PieceSide;
        foreach (var p in example.Clutter)
            Paste(images.Image(p.Source), side, p.CropX, p.CropY, piece, canvas, size, p.X, p.Y);
        Paste(images.Image(example.Object), side, 0, 0, side, canvas, size, example.X, example.Y);
    }

    /// <summary>Keeps the brighter of the canvas and the <paramref name="n"/> x <paramref name="n"/> crop of <paramref name="image"/>.</summary>
    private static void Paste(ReadOnlySpan<byte> image, int imageSide, int cropX, int cropY, int n, Span<float> canvas, int size, int x, int y)
    {
        if (x < 0 || y < 0 || x + n > size || y + n > size)
            throw new ArgumentException($"a {n}x{n} patch at ({x}, {y}) does not fit wholly inside a {size}x{size} canvas.");
        for (int r = 0; r < n; r++)
        {
            var src = image.Slice((cropY + r) * imageSide + cropX, n);
            var dst = canvas.Slice((y + r) * size + x, n);
            for (int c = 0; c < n; c++) dst[c] = Math.Max(dst[c], src[c] / 255f);
        }
    }

    private static void CheckImages(LabeledImages images)
    {
        if (images.Rows != ClutterOptions.ObjectSide || images.Cols != ClutterOptions.ObjectSide)
            throw new ArgumentException($"{images.Source}: cluttered canvases are made of 28x28 images, these are {images.Rows}x{images.Cols}.");
    }

    /// <summary>The seed of one canvas's stream: a SplitMix64 mix of the options' seed, the split's stream, the epoch and the item.</summary>
    internal static ulong CanvasSeed(ulong seed, ulong stream, int epoch, int item)
        => Mix(Mix(Mix(seed ^ stream) ^ (ulong)(uint)epoch) ^ (ulong)(uint)item);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
