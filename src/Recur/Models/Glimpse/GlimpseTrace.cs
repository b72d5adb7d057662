namespace Recur.Models.Glimpse;

/// <summary>
/// What a <see cref="RecurrentAttentionModel"/> looked at and concluded for a batch of <c>B</c> images over <c>T</c> glimpses,
/// for pictures of the glimpse paths and for evaluation.
/// </summary>
/// <param name="Locations"><c>(T, B, 2)</c>: <c>l_t = (l_x, l_y) ∈ [-1, 1]²</c>, the centre of glimpse <c>t</c> (see <see cref="GlimpseSensor"/>).</param>
/// <param name="Glimpses"><c>(T, B, k, g, g)</c>: the sensor's pooled patches <c>ρ(x, l_t)</c>, scale 0 first.</param>
/// <param name="Logits"><c>(B, K)</c>: the classifier's scores after the last glimpse.</param>
/// <param name="Classes"><c>(B)</c>: the argmax of each row of <paramref name="Logits"/>.</param>
public sealed record GlimpseTrace(Tensor Locations, Tensor Glimpses, Tensor Logits, int[] Classes);
