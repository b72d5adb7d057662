using System.Text.Json;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.Classify;

/// <summary>An image classifier as its checkpoint holds it: the model and its class names.</summary>
public sealed record LoadedClassifier(IImageClassifier Model, IReadOnlyList<string> ClassNames) : SavedRun
{
    /// <inheritdoc/>
    public override IReadOnlyList<(string Prefix, ParameterStore Store)> Stores => [("", Model.Store)];
}

/// <summary>
/// Image-classifier checkpoints (<c>recur classify</c>): <c>model.safetensors</c> with PyTorch's names (<c>rnn.*</c> and
/// <c>head.*</c> for a <see cref="SequenceClassifier"/>; <c>conv0.*</c>, ..., <c>fc.*</c>, <c>head.*</c> for a
/// <see cref="ConvNet"/>, whose model section says <c>"architecture": "cnn"</c>); config.json's sections <c>"model"</c>
/// and <c>"classes"</c>.
/// </summary>
public sealed class ClassifierCheckpoint() : CheckpointFormat<LoadedClassifier>(FormatName, ClassifyTask.TaskName, "classifier")
{
    /// <summary>The <c>"format"</c> value.</summary>
    public const string FormatName = "recur-classifier";

    /// <summary>The format.</summary>
    public static ClassifierCheckpoint Instance { get; } = new();

    /// <inheritdoc/>
    protected override void WriteSections(Utf8JsonWriter w, LoadedClassifier run)
    {
        ArgumentNullException.ThrowIfNull(run);
        w.WritePropertyName("model");
        CheckpointSections.WriteAsRuntimeType(w, run.Model.ConfigRecord);
        WriteNames(w, "classes", run.ClassNames);
    }

    /// <inheritdoc/>
    protected override LoadedClassifier ReadSections(JsonElement root, string path, SafeTensorsFile weights)
    {
        bool cnn = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String && a.GetString() == ConvNetConfig.Name;
        IImageClassifier model;
        try
        {
            if (cnn)
            {
                var config = CheckpointSections.Section<ConvNetConfig>(root, "model", path, required: true)!;
                config.Validate();
                Bound(config.ParameterCount() > 1L << 30, path);
                model = new ConvNet(config);
            }
            else
            {
                var rnn = CheckpointSections.Section<SequenceClassifierConfig>(root, "model", path, required: true)!;
                rnn.Validate();
                Bound(rnn.Hidden > 65536 || rnn.Layers > 256 || rnn.InputSize > 1 << 20 || rnn.Classes > 1 << 20, path);
                model = new SequenceClassifier(rnn);
            }
        }
        catch (ArgumentException e) { throw new CheckpointFormatException($"{path}: model config is invalid: {e.Message}", e); }
        return new LoadedClassifier(model, ModelFiles.Strings(root, "classes", path, model.Classes));
    }
}
