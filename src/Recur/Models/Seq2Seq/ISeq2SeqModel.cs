using Recur.Models.Decoding;
using Recur.Nn;

namespace Recur.Models.Seq2Seq;

/// <summary>
/// What a sequence-to-sequence task needs of its model, whichever it is (<see cref="Seq2SeqModel"/>'s recurrent encoder and
/// attention decoder, <see cref="TransformerSeq2SeqModel"/>): batches of <see cref="Seq2SeqBatch"/> (symbols 0 = padding,
/// 1 = start, 2 = end on the target side), one parameter arena, teacher-forced training and step-by-step decoding.
/// </summary>
public interface ISeq2SeqModel
{
    /// <summary>The parameters and their gradients.</summary>
    ParameterStore Store { get; }

    /// <summary>Threads for the GEMMs.</summary>
    int Threads { get; set; }

    /// <summary>Source symbols.</summary>
    int SourceVocab { get; }

    /// <summary>Target symbols.</summary>
    int TargetVocab { get; }

    /// <summary>Longest output in symbols (without start and end); targets are <c>(B, MaxTarget + 2)</c>.</summary>
    int MaxTarget { get; }

    /// <summary>Longest input read: a longer one is refused.</summary>
    int MaxSource { get; }

    /// <summary>True when decoding attends over the input (the stepper's <see cref="IDecoderStepper.Attention"/> is not empty).</summary>
    bool Attends { get; }

    /// <summary>Initialises every parameter from <paramref name="rng"/>.</summary>
    void Reset(Rng rng);

    /// <summary>The mean cross-entropy per output symbol of the batch (evaluation: no dropout, no smoothing, no gradients).</summary>
    double Loss(Seq2SeqBatch batch);

    /// <summary>
    /// Zeroes the gradients, runs forward (training: dropout drawn from <paramref name="rng"/>) and backward into the gradient
    /// arena, and returns the mean cross-entropy per output symbol (label-smoothed when the model smooths).
    /// </summary>
    double TrainStep(Seq2SeqBatch batch, Rng rng);

    /// <summary>Starts decoding the inputs of <paramref name="batch"/> (its targets, if any, are ignored).</summary>
    IDecoderStepper Begin(Seq2SeqBatch batch);

    /// <summary>The attention of output step <paramref name="t"/> over the input in the last forward, <c>(B, Ts)</c> (empty without attention).</summary>
    ReadOnlySpan<float> AttentionWeights(int t);
}
