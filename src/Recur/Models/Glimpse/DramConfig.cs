using System.Text.Json.Serialization;

namespace Recur.Models.Glimpse;

/// <summary>
/// Architecture of a <see cref="DeepRecurrentAttentionModel"/> (Ba, Mnih and Kavukcuoglu 2015, "Multiple Object Recognition
/// with Visual Attention"), sized for the captioning scenes (84x84, 3x3 cells of 28x28, at most 4 objects): a retina of 3
/// scales of 12x12 (12, 24 and 48 pixels), 2 glimpses per object, a glimpse network 128 + 32 -> 128, two LSTMs of 128 (the
/// paper's are 512), a context network over the canvas average-pooled by 4 (21x21). Small enough to train at a few hundred
/// scenes a second on one thread.
/// </summary>
public sealed record DramConfig
{
    /// <summary>Image width <c>W</c> (columns).</summary>
    public int Width { get; init; } = 84;

    /// <summary>Image height <c>H</c> (rows).</summary>
    public int Height { get; init; } = 84;

    /// <summary>The most objects <c>N</c> a scene holds: the model runs <c>N + 1</c> slots (the last for the end symbol).</summary>
    public int Objects { get; init; } = 4;

    /// <summary>Glimpses <c>G</c> per slot: after a slot's last glimpse the lower LSTM's state is classified.</summary>
    public int GlimpsesPerObject { get; init; } = 2;

    /// <summary>Retina scales <c>k</c> (<see cref="GlimpseSensor"/>).</summary>
    public int Scales { get; init; } = 3;

    /// <summary>Retina patch side <c>g</c> in pixels.</summary>
    public int Patch { get; init; } = 12;

    /// <summary>Width of <c>h_g</c>, the glimpse network's "what" (<see cref="GlimpseNetwork"/>).</summary>
    public int GlimpseHidden { get; init; } = 128;

    /// <summary>Width of <c>h_l</c>, the glimpse network's "where".</summary>
    public int LocationHidden { get; init; } = 32;

    /// <summary>Width of the glimpse feature <c>g_t</c>, the lower LSTM's input.</summary>
    public int GlimpseOut { get; init; } = 128;

    /// <summary>State width of the lower LSTM <c>r1</c> (reads glimpses, classifies).</summary>
    public int LowerHidden { get; init; } = 128;

    /// <summary>State width of the upper LSTM <c>r2</c> (emits locations; its first state is the context network's).</summary>
    public int UpperHidden { get; init; } = 128;

    /// <summary>The context network's average pooling <c>f</c>: it reads the canvas as <c>(H/f) x (W/f)</c> block means.</summary>
    public int ContextPool { get; init; } = 4;

    /// <summary>Object classes <c>K</c>; the classifier has <c>K + 1</c> outputs, the last the end symbol.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>The location policy's fixed standard deviation <c>σ</c> (locations in [-1, 1]).</summary>
    public float Sigma { get; init; } = 0.15f;

    /// <summary>
    /// Whether the REINFORCE gradient also flows from the upper LSTM into the lower one (and so the glimpse network): the
    /// paper's gradient of every parameter. False (the default): <c>r2</c> reads <c>r1</c>'s state detached, so REINFORCE
    /// trains the emission head, <c>r2</c> and the context network, and the cross-entropy trains the classifier, <c>r1</c>
    /// and the glimpse network.
    /// </summary>
    public bool ReinforceIntoLower { get; init; }

    /// <summary>Slots <c>N + 1</c>: one per object and the end symbol's.</summary>
    [JsonIgnore]
    public int Slots => Objects + 1;

    /// <summary>Glimpses <c>T = (N + 1) G</c> of a forward pass.</summary>
    [JsonIgnore]
    public int Steps => Slots * GlimpsesPerObject;

    /// <summary>The classifier's outputs <c>K + 1</c>; output <c>K</c> is the end symbol.</summary>
    [JsonIgnore]
    public int Outputs => Classes + 1;

    /// <summary>The end symbol's index, <c>K</c>.</summary>
    [JsonIgnore]
    public int End => Classes;

    /// <summary>The retina's output width <c>k g²</c>.</summary>
    [JsonIgnore]
    public int GlimpseSize => Scales * Patch * Patch;

    /// <summary>The widest patch's side, <c>g 2^(k-1)</c> pixels.</summary>
    [JsonIgnore]
    public int WidestPatch => Patch << (Scales - 1);

    /// <summary>The context network's input width <c>(H/f)(W/f)</c>.</summary>
    [JsonIgnore]
    public int ContextSize => Height / ContextPool * (Width / ContextPool);

    /// <summary>
    /// The parameters counted from the architecture: the glimpse network (as <see cref="GlimpseConfig.ParameterCount"/>), the
    /// two <c>nn.LSTMCell</c>s (<c>4H (I + H + 2)</c>), the context (<c>H2 (C + 1)</c>), emission (<c>2 (H2 + 1)</c>), baseline
    /// (<c>H2 + 1</c>) and classifier (<c>(K + 1)(H1 + 1)</c>) layers.
    /// </summary>
    public long ParameterCount()
    {
        long Hg = GlimpseHidden, Hl = LocationHidden, G = GlimpseOut, H1 = LowerHidden, H2 = UpperHidden;
        long glimpse = Hg * (GlimpseSize + 1L) + Hl * 3 + G * (Hg + 1) + G * Hl;
        return glimpse + 4 * H1 * (G + H1 + 2) + 4 * H2 * (H1 + H2 + 2) + H2 * (ContextSize + 1L) + 2 * (H2 + 1) + (H2 + 1)
            + Outputs * (H1 + 1);
    }

    /// <summary>Checks every field; the message names the field, its range and the value seen.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("width", Width, 1, 4096), ("height", Height, 1, 4096), ("objects", Objects, 0, 64),
            ("glimpses per object", GlimpsesPerObject, 1, 64), ("scales", Scales, 1, 8), ("patch", Patch, 1, 256),
            ("glimpse hidden", GlimpseHidden, 1, 1 << 14), ("location hidden", LocationHidden, 1, 1 << 14), ("glimpse out", GlimpseOut, 1, 1 << 14),
            ("lower hidden", LowerHidden, 1, 1 << 14), ("upper hidden", UpperHidden, 1, 1 << 14), ("context pool", ContextPool, 1, 4096),
            ("classes", Classes, 1, 1 << 16) })
            if (v < min || v > max) throw new ArgumentException($"DRAM model {name} must be in [{min}, {max}], got {v}.");
        if (Width % ContextPool != 0 || Height % ContextPool != 0)
            throw new ArgumentException($"DRAM model context pool {ContextPool} must divide the image's {Height}x{Width}.");
        if (!(Sigma > 0f && Sigma <= 10f)) throw new ArgumentException($"DRAM model sigma must be in (0, 10], got {Sigma}.");
        if ((long)WidestPatch * WidestPatch > 1 << 24)
            throw new ArgumentException($"DRAM model widest patch {WidestPatch} pixels (patch {Patch} x 2^{Scales - 1}) is too large.");
    }
}
