using System.Text.Json.Serialization;
using Recur.Nn.Cells;

namespace Recur.Models.Video;

/// <summary>Architecture of a <see cref="VideoClassifier"/>; stored in a run's <c>config.json</c> under <c>"model"</c>.</summary>
public sealed record VideoClassifierConfig
{
    /// <summary>The frame-averaging baseline: no recurrence, the clip is the mean of its frames' projections.</summary>
    public const string Average = "average";

    /// <summary>The single-frame baseline: the clip is its middle frame's projection.</summary>
    public const string Middle = "middle";

    /// <summary>A cell name of <see cref="CellRegistry"/> (lstm, gru, ...), or <see cref="Average"/> or <see cref="Middle"/>.</summary>
    public string Model { get; init; } = "lstm";

    /// <summary>Features per frame <c>D</c> (the frozen encoder's pooled grid).</summary>
    public int FeatureDim { get; init; } = 1024;

    /// <summary>Width <c>P</c> of each frame's projection, <c>relu(W_in x_t + b_in)</c>.</summary>
    public int Projection { get; init; } = 256;

    /// <summary>Hidden width <c>H</c> of every recurrent layer (unused by the baselines).</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Clip classes <c>A</c> (the actions).</summary>
    public int Actions { get; init; } = 6;

    /// <summary>Per-frame labels <c>C</c> (the object classes that can be visible).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Dropout between recurrent layers.</summary>
    public float Dropout { get; init; }

    /// <summary>True for the two baselines without recurrence.</summary>
    [JsonIgnore]
    public bool IsBaseline => Model is Average or Middle;

    /// <summary>The width the two heads read: <c>H</c>, or <c>P</c> for a baseline.</summary>
    [JsonIgnore]
    public int HeadInput => IsBaseline ? Projection : Hidden;

    /// <summary>The accepted model names, for messages.</summary>
    public static string ModelsText => $"{CellRegistry.NamesText}, {Average}, {Middle}";

    /// <summary>Checks every field; the message names the field, the value and the accepted range.</summary>
    public void Validate()
    {
        if (!IsBaseline && CellRegistry.Find(Model) is null) throw new ArgumentException($"model must be one of {ModelsText}, got '{Model}'.");
        if (FeatureDim < 1) throw new ArgumentException($"feature dim must be positive, got {FeatureDim}.");
        if (Projection < 1) throw new ArgumentException($"projection must be positive, got {Projection}.");
        if (Hidden < 1) throw new ArgumentException($"hidden must be positive, got {Hidden}.");
        if (Layers < 1) throw new ArgumentException($"layers must be positive, got {Layers}.");
        if (Actions < 2) throw new ArgumentException($"actions must be at least 2, got {Actions}.");
        if (Classes < 1) throw new ArgumentException($"classes must be positive, got {Classes}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
    }
}
