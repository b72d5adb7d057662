using System.Text.Json.Serialization;
using Recur.Nn;
using Recur.Nn.Blocks;
using Recur.Nn.Cells;

namespace Recur.Models;

/// <summary>Architecture of a <see cref="CharModel"/>; stored in a run's <c>config.json</c>.</summary>
public sealed record CharModelConfig
{
    /// <summary>A cell name of <see cref="CellRegistry"/> ("lstm", "gru", "gru-cho", "rnn", ...); "rnn" takes <see cref="Nonlinearity"/>.</summary>
    public string Cell { get; init; } = "lstm";

    /// <summary>For "rnn": "tanh" or "relu".</summary>
    public string Nonlinearity { get; init; } = "tanh";

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; init; }

    /// <summary>Embedding width E; 0 feeds one-hot vectors of width V (min-char-rnn).</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Hidden width H of every recurrent layer.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Number of stacked recurrent layers L.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Dropout between recurrent layers and before the output layer (char-rnn's placement).</summary>
    public float Dropout { get; init; }

    /// <summary>DropConnect on every layer's recurrent weights in training (<see cref="Recurrent.WeightDrop"/>); 0 = off.</summary>
    public float WeightDrop { get; init; }

    /// <summary>
    /// Highway connections between stacked layers (<see cref="Recurrent.Highway"/>): every layer whose input is
    /// <see cref="Hidden"/> wide (layers after the first, and the first when the embedding, or the one-hot
    /// input, is as wide) passes on <c>g ⊙ h + (1 - g) ⊙ x</c>, <c>g = σ(W_g x + b_g)</c>. Off by default.
    /// </summary>
    public bool Highway { get; init; }

    /// <summary>Sequence blocks: state size <c>N</c> per channel (LRU, Mamba).</summary>
    public int StateSize { get; init; } = 16;

    /// <summary>Sequence blocks: inner width factor (Mamba's <c>E</c>, RWKV's channel mix, the Transformer's MLP).</summary>
    public int Expand { get; init; } = 2;

    /// <summary>Sequence blocks: Mamba's causal convolution width.</summary>
    public int ConvWidth { get; init; } = 4;

    /// <summary>Sequence blocks: attention heads (Transformer).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Sequence blocks: the Transformer's longest context (its learned positions).</summary>
    public int Context { get; init; } = 256;

    /// <summary>
    /// True when <see cref="Cell"/> names a sequence block (<see cref="BlockRegistry"/>: the modern recurrences and the
    /// Transformer): the model is then embedding (width <see cref="Hidden"/>) → <see cref="Layers"/> residual blocks →
    /// layer norm → head, instead of a stack of recurrent cells.
    /// </summary>
    [JsonIgnore]
    public bool IsBlockModel => BlockRegistry.Contains(Cell);

    /// <summary>True when <paramref name="model"/> names a registered cell (<c>rhn-dN</c> included) or block.</summary>
    public static bool IsKnownModel(string? model) => CellRegistry.Find(model) is not null || BlockRegistry.Contains(model);

    /// <summary>Every accepted model name, for messages: the cells, then the blocks.</summary>
    public static string ModelNamesText => BlockRegistry.Names.Count == 0
        ? CellRegistry.NamesText
        : $"{CellRegistry.NamesText}, {string.Join(", ", BlockRegistry.Names)}";

    /// <summary>
    /// True when a model of <paramref name="model"/> needs its embedding as wide as its hidden state: block models
    /// (they embed at their width) and cells that add their raw input to the hidden state (MUT1, MUT2).
    /// </summary>
    public static bool EmbedsAtHidden(string model) => BlockRegistry.Contains(model) || CellRegistry.Find(model) is { RequiresInputEqualsHidden: true };

    /// <summary>The options every block of a block model is built with.</summary>
    [JsonIgnore]
    public BlockOptions BlockOptions => new(StateSize, Expand, ConvWidth, Heads, Context, Dropout);

    /// <summary>
    /// The cell this configuration names (<see cref="CellRegistry"/>); <c>"rnn"</c> with nonlinearity
    /// <c>"relu"</c> is the ReLU RNN. Throws with the accepted names otherwise.
    /// </summary>
    [JsonIgnore]
    public RecurrentCell RecurrentCell => Cell switch
    {
        "rnn" => Nonlinearity switch
        {
            "tanh" => CellRegistry.RnnTanh,
            "relu" => CellRegistry.RnnRelu,
            _ => throw new ArgumentException($"nonlinearity must be tanh or relu, got '{Nonlinearity}'."),
        },
        _ when IsBlockModel => throw new InvalidOperationException($"{Cell} is a sequence block, not a recurrent cell."),
        _ when TaskModels.TryGetValue(Cell, out var command)
            => throw new ArgumentException($"{Cell} is a model of {command}, not a character model; model must be one of {ModelNamesText}."),
        _ => CellRegistry.Find(Cell) ?? throw new ArgumentException($"model must be one of {ModelNamesText}, got '{Cell}'."),
    };

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        if (IsBlockModel) { ValidateBlocks(); return; }
        var cell = RecurrentCell;
        if (VocabSize < 1) throw new ArgumentException($"vocabulary size must be at least 1, got {VocabSize}.");
        if (Embed < 0) throw new ArgumentException($"embed must be 0 (one-hot) or positive, got {Embed}.");
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (cell.RequiresInputEqualsHidden && (Embed > 0 ? Embed : VocabSize) != Hidden)
            throw new ArgumentException(Embed > 0
                ? $"the {Cell} cell adds its input to the hidden state, so embed must equal hidden {Hidden}, got embed {Embed}."
                : $"the {Cell} cell adds its input to the hidden state, so one-hot input (width = vocabulary size {VocabSize}) " +
                    $"needs hidden {VocabSize}, got hidden {Hidden}; or use embed = hidden.");
        if (Layers < 1) throw new ArgumentException($"layers must be positive, got {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (!(WeightDrop >= 0f && WeightDrop < 1f)) throw new ArgumentException($"weight drop must be in [0, 1), got {WeightDrop}.");
        if (Highway && Layers == 1 && (Embed > 0 ? Embed : VocabSize) != Hidden)
            throw new ArgumentException(
                $"highway connects a layer's input to its output, so it needs a layer whose input is as wide as hidden {Hidden}: " +
                $"use 2 or more layers, or embed = hidden (one layer with input width {(Embed > 0 ? Embed : VocabSize)} has none).");
    }

    private void ValidateBlocks()
    {
        if (VocabSize < 1) throw new ArgumentException($"vocabulary size must be at least 1, got {VocabSize}.");
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (Embed != Hidden)
            throw new ArgumentException($"a {Cell} model embeds its tokens at its width: embed must equal hidden {Hidden}, got embed {Embed}.");
        if (Layers < 1) throw new ArgumentException($"layers must be positive, got {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (WeightDrop != 0f) throw new ArgumentException($"weight drop acts on W_hh of recurrent cells; a {Cell} model has none.");
        if (Highway) throw new ArgumentException($"highway connects stacked recurrent layers; a {Cell} model's blocks are residual already.");
        if (StateSize < 1 || Expand < 1 || ConvWidth < 1 || Heads < 1 || Context < 1)
            throw new ArgumentException(
                $"state size, expand, conv width, heads and context must be positive, got {StateSize}, {Expand}, {ConvWidth}, {Heads}, {Context}.");
    }

    /// <summary>Models that are neither cells nor blocks, with the command that trains them.</summary>
    public static IReadOnlyDictionary<string, string> TaskModels { get; } = new Dictionary<string, string>
    {
        [ConvNetConfig.Name] = "recur classify",
        ["attention"] = "recur caption train",
        [Video.VideoClassifierConfig.Average] = "recur video train",
        [Video.VideoClassifierConfig.Middle] = "recur video train",
        ["ram"] = "recur glimpse train",
        ["dram"] = "recur glimpse train",
    };
}
