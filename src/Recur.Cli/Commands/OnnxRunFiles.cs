using Recur.Export;
using Recur.IO;
using Recur.Tasks.Caption;
using Recur.Tasks.CharLm;
using Recur.Tasks.Classify;
using Recur.Tasks.G2p;
using Recur.Tasks.Translate;

namespace Recur.Cli.Commands;

/// <summary>The ONNX files of a run (<c>recur export RUN --onnx FILE</c>): its checkpoint loaded by task, the graphs by <see cref="OnnxRunExport"/>.</summary>
internal static class OnnxRunFiles
{
    /// <summary>The files; throws <see cref="NotSupportedException"/> for a model without an ONNX form.</summary>
    public static IReadOnlyList<OnnxFile> Of(string run, CheckpointKind prefer, string file)
    {
        string task = CheckpointFiles.TaskOf(run, prefer);
        return task switch
        {
            ClassifyTask.TaskName => [new(file, OnnxExport.Classifier(ClassifierCheckpoint.Instance.Load(run, prefer).Model), "the classifier: x to logits")],
            CharCheckpoint.TaskName => [OnnxRunExport.Char(CharCheckpoint.Read(run, prefer).Model, file)],
            CaptionTask.TaskName => Captioner(CaptionCheckpoint.Instance.Load(run, prefer), file),
            G2pTask.TaskName => OnnxRunExport.Seq2Seq(G2pCheckpoint.Instance.Load(run, prefer).Model, file),
            TranslateTask.TaskName => OnnxRunExport.Seq2Seq(TranslateCheckpoint.Instance.Load(run, prefer).Model, file),
            _ => throw new NotSupportedException(
                $"a {task} run has no ONNX export; character models, classifiers, captioners and the attention LSTM of g2p and translate do."),
        };
    }

    private static OnnxFile[] Captioner(LoadedCaptioner run, string file) => OnnxRunExport.Captioner(run.Model, file, run.Encoder);
}
