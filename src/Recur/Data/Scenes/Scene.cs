namespace Recur.Data.Scenes;

/// <summary>One object of a scene: a Fashion-MNIST image of class <see cref="Class"/> drawn in cell <see cref="Cell"/> of the grid (row-major).</summary>
/// <param name="Cell">The cell, <c>row * GridSide + column</c>.</param>
/// <param name="Class">The Fashion-MNIST class id, 0..9.</param>
/// <param name="Image">Index of the image in the split it was drawn from.</param>
public readonly record struct SceneItem(int Cell, int Class, int Image);

/// <summary>
/// A captioned scene: up to <see cref="GridSide"/>² Fashion-MNIST images on a black canvas of
/// <c>GridSide x GridSide</c> cells of <see cref="CellSize"/> pixels, its items in reading order (by cell).
/// </summary>
public sealed record Scene(IReadOnlyList<SceneItem> Items, int GridSide = Scene.DefaultGridSide)
{
    /// <summary>Cells per side of the canvas.</summary>
    public const int DefaultGridSide = 3;

    /// <summary>Pixels per side of a cell (a Fashion-MNIST image).</summary>
    public const int CellSize = 28;

    /// <summary>Pixels per side of the canvas.</summary>
    public int Side => GridSide * CellSize;

    /// <summary>Row of a cell.</summary>
    public int RowOf(int cell) => cell / GridSide;

    /// <summary>Column of a cell.</summary>
    public int ColumnOf(int cell) => cell % GridSide;

    /// <summary>The item in <paramref name="cell"/>, or null.</summary>
    public SceneItem? At(int cell)
    {
        foreach (var it in Items) if (it.Cell == cell) return it;
        return null;
    }

    /// <summary>
    /// Draws the scene: a <c>Side x Side</c> grey canvas, black where no item is, each item's image copied into its cell
    /// from <paramref name="images"/> (the split the items were drawn from).
    /// </summary>
    public byte[] Render(LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rows != CellSize || images.Cols != CellSize)
            throw new ArgumentException($"scene cells are {CellSize}x{CellSize}; the images are {images.Rows}x{images.Cols}.");
        int side = Side;
        var canvas = new byte[side * side];
        foreach (var it in Items)
        {
            var src = images.Image(it.Image);
            int y0 = RowOf(it.Cell) * CellSize, x0 = ColumnOf(it.Cell) * CellSize;
            for (int r = 0; r < CellSize; r++)
                src.Slice(r * CellSize, CellSize).CopyTo(canvas.AsSpan((y0 + r) * side + x0, CellSize));
        }
        return canvas;
    }
}
