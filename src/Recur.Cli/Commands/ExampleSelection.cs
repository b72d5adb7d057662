namespace Recur.Cli.Commands;

/// <summary>
/// Which examples of one split an eval keeps in its examples file: the first <see cref="First"/>, then only wrong ones,
/// at most <see cref="MoreWrong"/> of them, so that a file of a large split stays small and still holds its mistakes.
/// </summary>
internal sealed class ExampleSelection(int first, int moreWrong)
{
    private int _seen, _wrongAfter;

    /// <summary>How many leading examples are kept whatever their verdict.</summary>
    public int First { get; } = first;

    /// <summary>How many wrong examples past the first <see cref="First"/> are kept.</summary>
    public int MoreWrong { get; } = moreWrong;

    /// <summary>Whether the next example, right or not, is kept (call once per example, in order).</summary>
    public bool Keep(bool right)
    {
        if (_seen++ < First) return true;
        if (right || _wrongAfter >= MoreWrong) return false;
        _wrongAfter++;
        return true;
    }
}
