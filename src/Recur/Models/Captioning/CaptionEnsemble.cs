using Recur.Models.Decoding;

namespace Recur.Models.Captioning;

/// <summary>
/// Several captioners trained on the same encoder's features, decoded as one: each step averages their next-word
/// probabilities (<see cref="EnsembleStepper"/>); the attention maps are the members' mean. Every decoding strategy
/// (greedy, sampling, beam search) and the evaluation take it as they take one captioner.
/// </summary>
public sealed class CaptionEnsemble : ICaptionDecoder
{
    private readonly IReadOnlyList<ICaptioner> _members;

    /// <summary>An ensemble of <paramref name="members"/>: at least one, all with the same vocabulary, longest caption and feature grid.</summary>
    public CaptionEnsemble(IReadOnlyList<ICaptioner> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one captioner.", nameof(members));
        var c = members[0].Config;
        foreach (var m in members.Skip(1))
        {
            var o = m.Config;
            if (o.Vocab != c.Vocab || o.MaxWords != c.MaxWords || o.GridRows != c.GridRows || o.GridCols != c.GridCols || o.FeatureDim != c.FeatureDim)
                throw new ArgumentException(
                    "the captioners of an ensemble must share the vocabulary, the longest caption and the feature grid: " +
                    $"{Describe(c)} against {Describe(o)}.", nameof(members));
        }
        _members = members;
    }

    /// <summary>Captioners combined.</summary>
    public int Count => _members.Count;

    /// <inheritdoc/>
    public CaptionerConfig Config => _members[0].Config;

    /// <inheritdoc/>
    public IDecoderStepper Begin(Tensor features)
        => EnsembleStepper.Of([.. _members.Select(m => m.Begin(features))], Config.Vocab);

    private static string Describe(CaptionerConfig c) => $"{c.Vocab} words, {c.MaxWords} at most, {c.GridRows}x{c.GridCols} x {c.FeatureDim} features";
}
