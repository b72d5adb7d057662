namespace Recur.Models.Dialog;

/// <summary>
/// A history encoder of a <see cref="DialogModel"/>: from the encodings of the rounds' questions <c>q (R*B, H)</c> and their
/// facts (the question's encoding beside its answer's vector, <c>(R*B, H + E)</c>), both round-major (row <c>r*B + b</c> is
/// round <c>r</c> of dialog <c>b</c>), the history <c>h (R*B, H)</c> each round reads: what rounds <c>0 .. r-1</c> said, zero
/// for the first round. Its backward adds the gradient on <c>q</c> and writes the one on the facts.
/// </summary>
internal interface IDialogHistory
{
    /// <summary>Threads for the products.</summary>
    int Threads { get; set; }

    /// <summary>PyTorch's default initialisation.</summary>
    void Reset(Rng rng);

    /// <summary>Writes <paramref name="history"/> <c>(R*B, H)</c> from <paramref name="q"/> and <paramref name="facts"/>.</summary>
    void Forward(float[] q, float[] facts, int batch, int rounds, float[] history);

    /// <summary>
    /// Backward of the last forward: from <paramref name="dHistory"/> <c>(R*B, H)</c>, accumulates the parameters' gradients,
    /// adds <c>dL/dq</c> into <paramref name="dq"/> and writes <c>dL/dfacts</c> into <paramref name="dFacts"/>.
    /// </summary>
    void Backward(float[] q, float[] facts, float[] dHistory, float[] dq, float[] dFacts);
}
