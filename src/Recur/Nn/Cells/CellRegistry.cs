using System.Collections.Concurrent;
using System.Globalization;

namespace Recur.Nn.Cells;

/// <summary>
/// Every recurrent cell by name: what <c>--model</c> accepts and <c>config.json</c> records. Adding a cell is
/// one file under <c>Nn/Cells/</c> and one line here; usage text and validation come from this list.
/// <para>
/// Besides the listed names, <see cref="Find"/> accepts <c>rhn-dN</c> for <c>N</c> in 1..10: the Recurrent
/// Highway Network of recurrence depth <c>N</c> (<see cref="RhnCell"/>), made on first use and kept, so each
/// name is one object as the listed cells are. <c>rhn-d3</c> is the listed <c>rhn</c>.
/// </para>
/// </summary>
public static class CellRegistry
{
    private static readonly RecurrentCell[] Cells =
    [
        new LstmCell(),
        new GruCell(),
        new GruChoCell(),
        new Mut1Cell(),
        new Mut2Cell(),
        new Mut3Cell(),
        new RnnCell(relu: false),
        new RnnCell(relu: true),
        new LayerNormLstmCell(),
        new PeepholeLstmCell(GreffVariant.Vanilla),
        new PeepholeLstmCell(GreffVariant.NIG),
        new PeepholeLstmCell(GreffVariant.NFG),
        new PeepholeLstmCell(GreffVariant.NOG),
        new PeepholeLstmCell(GreffVariant.NIAF),
        new PeepholeLstmCell(GreffVariant.NOAF),
        new PeepholeLstmCell(GreffVariant.NP),
        new PeepholeLstmCell(GreffVariant.CIFG),
        new PeepholeLstmCell(GreffVariant.FGR),
        new MinGruCell(),
        new MinLstmCell(),
        new RhnCell(RhnCell.DefaultDepth),
    ];

    private const string RhnPrefix = "rhn-d";

    private static readonly ConcurrentDictionary<int, RhnCell> RhnByDepth = new();

    /// <summary>All cells, in the order usage text lists them.</summary>
    public static IReadOnlyList<RecurrentCell> All => Cells;

    /// <summary>The registered names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Cells.Select(c => c.Name).ToArray();

    /// <summary>The accepted names in words, for messages: the listed names and the <c>rhn-dN</c> pattern.</summary>
    public static string NamesText => $"{string.Join(", ", Names)} (or {RhnPrefix}N, N in 1..{RhnCell.MaxDepth})";

    /// <summary>The cell named <paramref name="name"/> (a listed name or <c>rhn-dN</c>, N in 1..10), or null.</summary>
    public static RecurrentCell? Find(string? name) => Cells.FirstOrDefault(c => c.Name == name) ?? FindRhn(name);

    private static RhnCell? FindRhn(string? name)
    {
        if (name is null || !name.StartsWith(RhnPrefix, StringComparison.Ordinal)) return null;
        string digits = name[RhnPrefix.Length..];
        // Only the canonical spelling: no sign, no leading zeros, no spaces.
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int depth)
            || depth.ToString(CultureInfo.InvariantCulture) != digits || depth < 1 || depth > RhnCell.MaxDepth) return null;
        if (depth == RhnCell.DefaultDepth) return (RhnCell)Cells.First(c => c is RhnCell);
        return RhnByDepth.GetOrAdd(depth, d => new RhnCell(d));
    }

    /// <summary>The cell named <paramref name="name"/>; throws with the accepted names otherwise.</summary>
    public static RecurrentCell Get(string name)
        => Find(name) ?? throw new ArgumentException($"unknown cell '{name}'; the cells are {NamesText}.", nameof(name));

    /// <summary>The LSTM cell.</summary>
    public static RecurrentCell Lstm => Get("lstm");

    /// <summary>The GRU cell (PyTorch's, reset after the product).</summary>
    public static RecurrentCell Gru => Get("gru");

    /// <summary>The GRU cell of Cho et al. (reset before the product).</summary>
    public static RecurrentCell GruCho => Get("gru-cho");

    /// <summary>The tanh RNN cell.</summary>
    public static RecurrentCell RnnTanh => Get("rnn");

    /// <summary>The ReLU RNN cell.</summary>
    public static RecurrentCell RnnRelu => Get("rnn-relu");

    /// <summary>One line per cell, <c>name  summary</c>, for usage text.</summary>
    public static string Usage(string indent = "  ")
    {
        int w = Names.Max(n => n.Length) + 2;
        return string.Join("\n", Cells.Select(c => indent + c.Name.PadRight(w) + c.Summary)) + "\n"
            + indent + (RhnPrefix + "N").PadRight(w)
            + $"the Recurrent Highway Network of recurrence depth N = 1..{RhnCell.MaxDepth} (rhn is rhn-d{RhnCell.DefaultDepth})";
    }
}
