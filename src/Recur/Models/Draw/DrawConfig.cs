using System.Text.Json.Serialization;

namespace Recur.Models.Draw;

/// <summary>
/// Architecture of a <see cref="DrawModel"/> (Gregor et al. 2015, "DRAW: A Recurrent Neural Network For Image
/// Generation"). The defaults are the paper's MNIST model with attention (hidden 256, latent 100, read 2x2, write 5x5)
/// except the number of glimpses: the paper uses <c>T = 64</c>; the default here is 32, which halves the time per
/// image on the CPU (the paper's table shows the bound still improving between 16 and 64 glimpses, so a long run may
/// raise it back).
/// </summary>
public sealed record DrawConfig
{
    /// <summary>Image width <c>A</c> (the paper's columns): 28 for MNIST.</summary>
    public int Width { get; init; } = 28;

    /// <summary>Image height <c>B</c> (rows): 28 for MNIST.</summary>
    public int Height { get; init; } = 28;

    /// <summary>Glimpses <c>T</c>: canvas updates per image.</summary>
    public int Steps { get; init; } = 32;

    /// <summary>Encoder LSTM width.</summary>
    public int EncoderHidden { get; init; } = 256;

    /// <summary>Decoder LSTM width.</summary>
    public int DecoderHidden { get; init; } = 256;

    /// <summary>Latent units per step <c>Z</c>.</summary>
    public int Latent { get; init; } = 100;

    /// <summary>The Gaussian filterbank read and write (paper section 3.2); false: read the whole image, write the whole canvas.</summary>
    public bool Attention { get; init; } = true;

    /// <summary>Read filters per axis <c>N</c> (the read glimpse is <c>N x N</c> per image, two images).</summary>
    public int ReadN { get; init; } = 2;

    /// <summary>Write filters per axis <c>N</c> (the written patch is <c>N x N</c>).</summary>
    public int WriteN { get; init; } = 5;

    /// <summary>Pixels <c>P = Width * Height</c>.</summary>
    [JsonIgnore]
    public int Pixels => Width * Height;

    /// <summary>What the read hands the encoder per image: <c>2 N^2</c> with attention, <c>2 P</c> without.</summary>
    [JsonIgnore]
    public int ReadSize => Attention ? 2 * ReadN * ReadN : 2 * Pixels;

    /// <summary>The encoder LSTM's input width: the read and the previous decoder state, <c>[r_t, h_dec_{t-1}]</c>.</summary>
    [JsonIgnore]
    public int EncoderInput => ReadSize + DecoderHidden;

    /// <summary>
    /// The model's parameters, counted from the architecture alone (a checkpoint compares it with its weights before building
    /// the model): two <c>nn.LSTMCell</c>s (<c>4H (I + H + 2)</c> each), <c>mu</c> and <c>logsigma</c> (<c>Z (H_enc + 1)</c> each),
    /// and the write (<c>P (H_dec + 1)</c> without attention; with it the patch <c>N_w^2 (H_dec + 1)</c> and the two windows'
    /// <c>5 (H_dec + 1)</c>).
    /// </summary>
    public long ParameterCount()
    {
        long He = EncoderHidden, Hd = DecoderHidden, Z = Latent;
        long lstms = 4 * He * ((long)ReadSize + Hd + He + 2) + 4 * Hd * (Z + Hd + 2);
        long write = Attention ? ((long)WriteN * WriteN + 2 * AttentionWindow.RawSize) * (Hd + 1) : (long)Pixels * (Hd + 1);
        return lstms + 2 * Z * (He + 1) + write;
    }

    /// <summary>Checks every field; the message names the field, its range and the value seen.</summary>
    public void Validate()
    {
        foreach (var (name, v, min, max) in new[] { ("width", Width, 1, 4096), ("height", Height, 1, 4096), ("steps", Steps, 1, 4096),
            ("encoder hidden", EncoderHidden, 1, 1 << 14), ("decoder hidden", DecoderHidden, 1, 1 << 14), ("latent", Latent, 1, 1 << 14),
            ("read N", ReadN, 1, 1024), ("write N", WriteN, 1, 1024) })
            if (v < min || v > max) throw new ArgumentException($"DRAW {name} must be in [{min}, {max}], got {v}.");
        if (Pixels > 1 << 24) throw new ArgumentException($"DRAW images of {Width}x{Height} pixels are too large (at most 2^24 pixels).");
    }
}
