namespace Recur.Data.Video;

/// <summary>
/// What happens in a clip (the many-to-one label). The actions come in pairs that are each other's reverse in time
/// (<see cref="VideoActions.Reverse"/>): a clip of one is the other's clip played backwards, so the set of frames, their
/// average, and the middle frame are drawn from the same distribution for both, and only the order of the frames tells
/// them apart, which is what a recurrent model reads and a frame-averaging one cannot.
/// </summary>
public enum VideoAction
{
    /// <summary>The actor comes in over the left edge and stays in the frame.</summary>
    EntersFromLeft,

    /// <summary>The actor starts in the frame and goes out over the left edge (<see cref="EntersFromLeft"/> reversed).</summary>
    LeavesToLeft,

    /// <summary>The actor comes in over the right edge and stays in the frame.</summary>
    EntersFromRight,

    /// <summary>The actor starts in the frame and goes out over the right edge (<see cref="EntersFromRight"/> reversed).</summary>
    LeavesToRight,

    /// <summary>Two actors, one from each side, move toward each other and end side by side.</summary>
    Approach,

    /// <summary>Two actors start side by side and move apart, toward the edges (<see cref="Approach"/> reversed).</summary>
    Separate,
}

/// <summary>Names, sentences and the time-reversal pairing of <see cref="VideoAction"/>.</summary>
public static class VideoActions
{
    /// <summary>Every action, in label order.</summary>
    public static IReadOnlyList<VideoAction> All { get; } = Enum.GetValues<VideoAction>();

    /// <summary>The number of actions (the many-to-one head's classes).</summary>
    public static int Count => All.Count;

    /// <summary>The action a clip of <paramref name="action"/> shows when played backwards.</summary>
    public static VideoAction Reverse(VideoAction action) => action switch
    {
        VideoAction.EntersFromLeft => VideoAction.LeavesToLeft,
        VideoAction.LeavesToLeft => VideoAction.EntersFromLeft,
        VideoAction.EntersFromRight => VideoAction.LeavesToRight,
        VideoAction.LeavesToRight => VideoAction.EntersFromRight,
        VideoAction.Approach => VideoAction.Separate,
        VideoAction.Separate => VideoAction.Approach,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an action."),
    };

    /// <summary>True for the actions of two actors.</summary>
    public static bool HasTwoActors(VideoAction action) => action is VideoAction.Approach or VideoAction.Separate;

    /// <summary>The label's short name (<c>enters-left</c>, ...), as the eval files write it.</summary>
    public static string Name(VideoAction action) => action switch
    {
        VideoAction.EntersFromLeft => "enters-left",
        VideoAction.LeavesToLeft => "leaves-left",
        VideoAction.EntersFromRight => "enters-right",
        VideoAction.LeavesToRight => "leaves-right",
        VideoAction.Approach => "approach",
        VideoAction.Separate => "separate",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an action."),
    };

    /// <summary>
    /// The clip's action as a sentence about its actors (<paramref name="classNames"/> names their classes):
    /// "the bag leaves to the left", "the shirt and the sneaker move apart".
    /// </summary>
    public static string Sentence(VideoAction action, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        string a = classNames.Count > 0 ? classNames[0] : "object", b = classNames.Count > 1 ? classNames[1] : "object";
        return action switch
        {
            VideoAction.EntersFromLeft => $"the {a} enters from the left",
            VideoAction.LeavesToLeft => $"the {a} leaves to the left",
            VideoAction.EntersFromRight => $"the {a} enters from the right",
            VideoAction.LeavesToRight => $"the {a} leaves to the right",
            VideoAction.Approach => $"the {a} and the {b} move toward each other",
            VideoAction.Separate => $"the {a} and the {b} move apart",
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an action."),
        };
    }
}
