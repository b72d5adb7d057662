using Recur.IO;
using Recur.Models;
using Recur.Tasks.Classify;
using Recur.Training;

namespace Recur.Tasks.Scenes;

/// <summary>
/// The encoder a captioning or VQA run trains first when it is given none: <c>recur classify --model cnn --flip --shift 2</c>
/// with the rest of classify's recipe (two stages of 3x3 convolutions, 32 and 64 channels, a fully connected layer of 256,
/// dropout 0.3, Adam with a cosine schedule and a moving average) annealed over 30 epochs instead of classify's 12: flips
/// and 30 epochs kept for their better validation accuracy (0.936 against 0.919 for 12 epochs; docs/CAPTIONING.md,
/// sessions 12 and 18), while the captioner's own validation gains flatten after about 18 of its minutes. Its validation
/// images are the ones the scenes' validation splits are drawn from, so the encoder has never seen them either. Trained
/// once per data set and recipe, then reused from <see cref="Folder"/>.
/// </summary>
public static class EncoderRecipe
{
    /// <summary>Raised when the recipe changes, so that an encoder cached under the old one is not reused.</summary>
    public const int Version = 2;

    /// <summary>The training options: classify's recipe with <c>--model cnn</c>.</summary>
    public static TrainOptions Options { get; } = ClassifyDefinition.Instance.Defaults with { Model = ConvNetConfig.Name, MaxEpochs = Epochs };

    /// <summary>The epochs the encoder's cosine schedule anneals over.</summary>
    public const int Epochs = 30;

    /// <summary>The classifier's own options: horizontal flips and shifts of up to 2 pixels.</summary>
    public static ClassifySettings Settings { get; } = new() { Flip = true, Shift = 2 };

    /// <summary>The command that trains the same encoder by hand.</summary>
    public const string Command = "recur classify --model cnn --flip --shift 2 --max-epochs 30";

    /// <summary>
    /// Where the encoder for the images <paramref name="data"/> records is kept under <paramref name="root"/>: one folder per
    /// recipe version and data set (its labels' checksum and count).
    /// </summary>
    public static string Folder(string root, DataInfo data)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(data);
        return Path.Combine(root, $"cnn-v{Version}-{data.Characters}-{data.Checksum}");
    }
}
