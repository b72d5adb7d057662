namespace Recur.Data.Glimpse;

/// <summary>
/// How cluttered translated Fashion-MNIST is drawn (<see cref="ClutterGenerator"/>): the canvas side, the clutter pieces per
/// canvas, and the seed everything drawn follows from.
/// </summary>
public sealed record ClutterOptions
{
    /// <summary>Side of a clutter piece in pixels: an 8x8 crop of another image, as Mnih et al.'s cluttered MNIST.</summary>
    public const int PieceSide = 8;

    /// <summary>Side of an object in pixels (a whole Fashion-MNIST image).</summary>
    public const int ObjectSide = 28;

    /// <summary>Canvas side <c>S</c> in pixels: 60 or 100 as the paper; any side from 28 to 400 is accepted.</summary>
    public int Size { get; init; } = 100;

    /// <summary>Clutter pieces <c>K</c> per canvas.</summary>
    public int Clutter { get; init; } = 8;

    /// <summary>The draw: every canvas of every split follows from it (and, for training canvases, from the epoch).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// The clutter count the paper's cluttered MNIST uses for a canvas of <paramref name="size"/> pixels: 4 pieces at 60x60 and 8 at
    /// 100x100; other sides scale the 100x100 density, <c>round(8 S² / 100²)</c>.
    /// </summary>
    public static int PaperClutter(int size) => size switch
    {
        60 => 4,
        100 => 8,
        _ => (int)Math.Round(8.0 * size * size / 10_000),
    };

    /// <summary>Checks every field; the message names the field, its range and the value seen.</summary>
    public void Validate()
    {
        if (Size is < ObjectSide or > 400) throw new ArgumentException($"the canvas size must be in [{ObjectSide}, 400] pixels, got {Size}.");
        if (Clutter is < 0 or > 256) throw new ArgumentException($"the clutter count must be in [0, 256], got {Clutter}.");
    }
}
