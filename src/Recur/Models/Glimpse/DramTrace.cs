namespace Recur.Models.Glimpse;

/// <summary>
/// What a <see cref="DeepRecurrentAttentionModel"/> looked at and read for a batch of <c>B</c> images over <c>T = S G</c> glimpses,
/// for pictures of the glimpse paths and for evaluation.
/// </summary>
/// <param name="Locations"><c>(T, B, 2)</c>: <c>l_t = (l_x, l_y) ∈ [-1, 1]²</c>, the centre of glimpse <c>t</c>.</param>
/// <param name="Glimpses"><c>(T, B, k, g, g)</c>: the sensor's pooled patches, scale 0 first.</param>
/// <param name="Logits"><c>(S, B, K+1)</c>: each slot's scores, the last output the end symbol.</param>
/// <param name="Classes"><c>(B, S)</c>: the argmax of each slot's logits (the first on ties).</param>
/// <param name="Sequences">Per image, the classes read before the first end symbol (<see cref="DramTargets.Sequence"/>).</param>
public sealed record DramTrace(Tensor Locations, Tensor Glimpses, Tensor Logits, int[] Classes, int[][] Sequences);
