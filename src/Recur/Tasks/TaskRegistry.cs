using Recur.Tasks.Caption;
using Recur.Tasks.CharLm;
using Recur.Tasks.Classify;
using Recur.Tasks.Dialog;
using Recur.Tasks.Draw;
using Recur.Tasks.G2p;
using Recur.Tasks.Sentiment;
using Recur.Tasks.Glimpse;
using Recur.Tasks.Tag;
using Recur.Tasks.Translate;
using Recur.Tasks.Video;
using Recur.Tasks.Vqa;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Every task, by name (config.json's <c>"task"</c>): adding a task is its folder under <c>Tasks/</c> and one line here; the
/// command line then has <c>recur NAME train|eval</c> for it (<c>Recur.Cli/Commands/TaskCommand.cs</c>) unless a command of
/// its own takes the task.
/// </summary>
public static class TaskRegistry
{
    /// <summary>The registered tasks.</summary>
    public static IReadOnlyList<ITaskDefinition> All { get; } =
    [
        CharLmDefinition.Instance,
        ClassifyDefinition.Instance,
        CaptionDefinition.Instance,
        VqaDefinition.Instance,
        TagDefinition.Instance,
        G2pDefinition.Instance,
        DrawDefinition.Instance,
        VideoDefinition.Instance,
        GlimpseDefinition.Instance,
        DramDefinition.Instance,
        DialogDefinition.Instance,
        TranslateDefinition.Instance,
        SentimentDefinition.Instance,
    ];

    /// <summary>The task named <paramref name="name"/> (config.json's <c>"task"</c>), or null.</summary>
    public static ITaskDefinition? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>The registered names, for messages.</summary>
    public static string NamesText => string.Join(", ", All.Select(t => t.Name));
}
