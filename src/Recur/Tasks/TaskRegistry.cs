using Recur.Tasks.Caption;
using Recur.Tasks.Classify;
using Recur.Tasks.G2p;
using Recur.Tasks.Tag;
using Recur.Tasks.Vqa;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Every task built on <see cref="TaskDefinition{TData, TSettings, TSaved}"/>, by name: adding a task is its folder under
/// <c>Tasks/</c> and one line here. The character LM (<c>Tasks/CharLm</c>, config.json task <c>char-lm</c>) is not yet one.
/// </summary>
public static class TaskRegistry
{
    /// <summary>The registered tasks.</summary>
    public static IReadOnlyList<ITaskDefinition> All { get; } =
    [
        ClassifyDefinition.Instance,
        CaptionDefinition.Instance,
        VqaDefinition.Instance,
        TagDefinition.Instance,
        G2pDefinition.Instance,
    ];

    /// <summary>The task named <paramref name="name"/> (config.json's <c>"task"</c>), or null.</summary>
    public static ITaskDefinition? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>The registered names, for messages.</summary>
    public static string NamesText => string.Join(", ", All.Select(t => t.Name));
}
