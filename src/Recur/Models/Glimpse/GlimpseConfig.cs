using System.Text.Json.Serialization;

namespace Recur.Models.Glimpse;

/// <summary>
/// Architecture of a <see cref="RecurrentAttentionModel"/> (Mnih et al. 2014, "Recurrent Models of Visual Attention").
/// The defaults are the paper's sizes (glimpse network 128 + 128 -> 256, core 256) and its retina for the 60x60 cluttered
/// images (3 scales of 12x12 patches), 6 glimpses (the paper reports 4, 6 and 8), and σ = 0.17 for the location policy, as
/// common reimplementations use (the paper keeps the policy's variance fixed).
/// </summary>
public sealed record GlimpseConfig
{
    /// <summary>Image width <c>W</c> (columns).</summary>
    public int Width { get; init; } = 60;

    /// <summary>Image height <c>H</c> (rows).</summary>
    public int Height { get; init; } = 60;

    /// <summary>Glimpses <c>T</c> per image.</summary>
    public int Steps { get; init; } = 6;

    /// <summary>Retina scales <c>k</c>: patch <c>s = 0..k-1</c> is <c>g 2^s</c> pixels wide, pooled to <c>g x g</c>.</summary>
    public int Scales { get; init; } = 3;

    /// <summary>Retina patch side <c>g</c> in pixels (the first scale's patch, and every scale after pooling).</summary>
    public int Patch { get; init; } = 12;

    /// <summary>Width of <c>h_g = relu(W_g ρ + b_g)</c>, the "what" half of the glimpse network.</summary>
    public int GlimpseHidden { get; init; } = 128;

    /// <summary>Width of <c>h_l = relu(W_l l + b_l)</c>, the "where" half.</summary>
    public int LocationHidden { get; init; } = 128;

    /// <summary>Width of the glimpse feature <c>g_t = relu(W_hg h_g + W_hl h_l + b)</c>, the core's input.</summary>
    public int GlimpseOut { get; init; } = 256;

    /// <summary>Width of the LSTM core's state <c>h_t</c>.</summary>
    public int CoreHidden { get; init; } = 256;

    /// <summary>Classes <c>K</c> of the classifier at the last step.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>The location policy's fixed standard deviation <c>σ</c>: <c>l_{t+1} ~ N(μ_t, σ² I)</c>.</summary>
    public float Sigma { get; init; } = 0.17f;

    /// <summary>
    /// Whether the REINFORCE gradient also flows from <c>μ_t</c> back into the core and the glimpse network (the paper's
    /// <c>∇_θ log π</c> over every parameter). False (the default, as common reimplementations): the location network reads
    /// <c>h_t</c> detached, so REINFORCE trains the location network alone and the classification loss trains the rest.
    /// </summary>
    public bool ReinforceIntoCore { get; init; }

    /// <summary>
    /// Width of a hidden ReLU layer in the location network: <c>μ_t = tanh(W_loc relu(W_lh h_t + b_lh) + b_loc)</c>
    /// (<c>locator_hidden</c>, then <c>locator</c>); 0 (the default, the paper's) reads <c>h_t</c> linearly.
    /// </summary>
    public int LocatorHidden { get; init; }

    /// <summary>What the locator's last linear reads: <see cref="LocatorHidden"/> units, or the core's <c>H</c>.</summary>
    [JsonIgnore]
    public int LocatorInput => LocatorHidden > 0 ? LocatorHidden : CoreHidden;

    /// <summary>The sensor's input width <c>k g²</c>: the concatenated pooled patches.</summary>
    [JsonIgnore]
    public int GlimpseSize => Scales * Patch * Patch;

    /// <summary>The widest patch's side, <c>g 2^(k-1)</c> pixels.</summary>
    [JsonIgnore]
    public int WidestPatch => Patch << (Scales - 1);

    /// <summary>
    /// The parameters counted from the architecture: the four linears of the glimpse network (<c>fc_hl</c> has no bias: the
    /// equation's single <c>b</c> is <c>fc_hg</c>'s), the core <c>nn.LSTMCell</c> (<c>4H (G + H + 2)</c>), the location
    /// (<c>2 (H + 1)</c>, or <c>L (H + 1) + 2 (L + 1)</c> with a hidden layer of <c>L</c>), baseline (<c>H + 1</c>) and classifier
    /// (<c>K (H + 1)</c>) heads.
    /// </summary>
    public long ParameterCount()
    {
        long Hg = GlimpseHidden, Hl = LocationHidden, G = GlimpseOut, H = CoreHidden, L = LocatorHidden;
        long glimpse = Hg * (GlimpseSize + 1L) + Hl * 3 + G * (Hg + 1) + G * Hl;
        long locator = L * (H + 1) + 2 * (LocatorInput + 1L);
        return glimpse + 4 * H * (G + H + 2) + locator + (H + 1) + Classes * (H + 1);
    }

    /// <summary>Checks every field; the message names the field, its range and the value seen.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("width", Width, 1, 4096), ("height", Height, 1, 4096), ("steps", Steps, 1, 1024),
            ("scales", Scales, 1, 8), ("patch", Patch, 1, 256), ("glimpse hidden", GlimpseHidden, 1, 1 << 14),
            ("location hidden", LocationHidden, 1, 1 << 14), ("glimpse out", GlimpseOut, 1, 1 << 14), ("core hidden", CoreHidden, 1, 1 << 14),
            ("classes", Classes, 2, 1 << 16), ("locator hidden", LocatorHidden, 0, 1 << 14) })
            if (v < min || v > max) throw new ArgumentException($"glimpse model {name} must be in [{min}, {max}], got {v}.");
        if (!(Sigma > 0f && Sigma <= 10f)) throw new ArgumentException($"glimpse model sigma must be in (0, 10], got {Sigma}.");
        if ((long)WidestPatch * WidestPatch > 1 << 24)
            throw new ArgumentException($"glimpse model widest patch {WidestPatch} pixels (patch {Patch} x 2^{Scales - 1}) is too large.");
    }
}
