using Recur.Data;
using Recur.IO;

namespace Recur.Tasks.Scenes;

/// <summary>
/// What the tasks over pictures drawn from Fashion-MNIST's training images (captioning, VQA, video) read and record alike:
/// the training images of a folder, and their record in a checkpoint (their number and a checksum of their labels).
/// </summary>
public static class TrainingImages
{
    /// <summary>The Fashion-MNIST training images at <paramref name="path"/>; a bad file is an <see cref="InvalidDataException"/>.</summary>
    public static LabeledImages Load(string path)
    {
        try { return FashionMnist.Load(path).Train; }
        catch (IdxFormatException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>The record of <paramref name="data"/> a run keeps, checked when it resumes.</summary>
    public static DataInfo Record(LabeledImages data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new DataInfo(source, data.Count, CheckpointFiles.TokenChecksum([.. data.Labels.Select(b => (int)b)]));
    }
}
