namespace Recur.Nn.Blocks;

/// <summary>Options a block may read (each block documents which); the defaults are the papers' small settings.</summary>
/// <param name="StateSize">State size <c>N</c> per channel (S5/LRU, Mamba).</param>
/// <param name="Expand">Inner width factor (Mamba's <c>E</c>, the MLPs' hidden factor).</param>
/// <param name="ConvWidth">Mamba's causal depthwise convolution width.</param>
/// <param name="Heads">Attention heads (Transformer).</param>
/// <param name="Context">Longest context the block attends to (Transformer's learned positions).</param>
/// <param name="Dropout">Dropout inside the block, in training only.</param>
public sealed record BlockOptions(int StateSize = 16, int Expand = 2, int ConvWidth = 4, int Heads = 4, int Context = 256, float Dropout = 0f);

/// <summary>
/// Every sequence block by name (<c>--model</c>): adding a block is one file under <c>Nn/Blocks/</c> and one
/// line here.
/// </summary>
public static class BlockRegistry
{
    /// <summary>Builds a block of width <c>D</c> registering its parameters in a store under a path.</summary>
    public delegate SequenceBlock Factory(ParameterStore store, string path, int width, BlockOptions options);

    private static readonly (string Name, string Summary, Factory Create)[] Blocks =
    [
        ("mingru-res", "minGRU as Feng et al. stack it: x + minGRU(LN(x)), then x + MLP(LN(x))",
            (s, p, w, o) => new CellBlock(Cells.CellRegistry.Get("mingru"), s, p, w, o)),
        ("minlstm-res", "minLSTM in the same residual block", (s, p, w, o) => new CellBlock(Cells.CellRegistry.Get("minlstm"), s, p, w, o)),
        ("rwkv", "RWKV-4 (Peng et al. 2023): time mixing (token shift, WKV with decay and bonus) and channel mixing (squared ReLU)",
            (store, path, width, options) => new RwkvBlock(store, path, width, options)),
        ("transformer",
            "pre-norm causal Transformer block (GPT-2): multi-head attention over a KV cache of the last Context tokens, GELU MLP of width Expand*D",
            (store, path, width, options) => new TransformerBlock(store, path, width, options)),
        ("lru", "LRU (Orvieto et al. 2023): complex diagonal linear recurrence, N = D units, then GELU and a linear",
            (store, path, width, options) => new LruBlock(store, path, width, options.Dropout)),
        ("mamba", "Mamba (Gu & Dao 2023): selective SSM with input-dependent step, B and C, causal conv and SiLU gate",
            (store, path, width, o) => new MambaBlock(store, path, width, o)),
    ];

    /// <summary>The registered names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Blocks.Select(b => b.Name).ToArray();

    /// <summary>True when <paramref name="name"/> is a registered block.</summary>
    public static bool Contains(string? name) => Blocks.Any(b => b.Name == name);

    /// <summary>Builds the block named <paramref name="name"/>; throws with the accepted names otherwise.</summary>
    public static SequenceBlock Create(string name, ParameterStore store, string path, int width, BlockOptions options)
    {
        foreach (var b in Blocks)
            if (b.Name == name) return b.Create(store, path, width, options);
        throw new ArgumentException($"unknown block '{name}'; the blocks are {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>One line per block, <c>name  summary</c>, for usage text.</summary>
    public static string Usage(string indent = "  ")
    {
        if (Blocks.Length == 0) return "";
        int w = Names.Max(n => n.Length) + 2;
        return string.Join("\n", Blocks.Select(b => indent + b.Name.PadRight(w) + b.Summary));
    }
}
