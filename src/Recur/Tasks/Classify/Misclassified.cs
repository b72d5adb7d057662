using Recur.Data;
using Recur.Plotting;

namespace Recur.Tasks.Classify;

/// <summary>A picture of the images a classifier got wrong, each captioned with the true and the predicted class.</summary>
public static class Misclassified
{
    /// <summary>
    /// A PNG grid of up to <paramref name="count"/> misclassified images of <paramref name="set"/> (in set order),
    /// <paramref name="columns"/> per row, scaled up <paramref name="scale"/> times; null when none is wrong.
    /// </summary>
    public static byte[]? Png(LabeledImages set, ReadOnlySpan<int> predicted, IReadOnlyList<string> classNames, int count = 48, int columns = 8, int scale = 3)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(classNames);
        Guard.Length(predicted.Length, set.Count, nameof(predicted));
        var cells = new List<(byte[] Pixels, int Rows, int Cols, string Caption)>();
        for (int i = 0; i < set.Count && cells.Count < count; i++)
        {
            int truth = set.Labels[i], said = predicted[i];
            if (truth == said) continue;
            cells.Add((set.Image(i).ToArray(), set.Rows, set.Cols, $"true {classNames[truth]}\nsaid {classNames[said]}"));
        }
        return cells.Count == 0 ? null : ImageGrid.Render(cells, Math.Min(columns, cells.Count), scale);
    }
}
