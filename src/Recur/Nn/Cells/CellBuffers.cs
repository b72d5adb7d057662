namespace Recur.Nn.Cells;

/// <summary>
/// The buffers one cell adds to a <see cref="LayerRun"/> beyond the shared ones (<see cref="LayerRun.A"/>,
/// <see cref="LayerRun.DA"/>, <see cref="LayerRun.Y"/>, <see cref="LayerRun.C"/>, the carries,
/// <see cref="LayerRun.Scratch"/>, the packed <see cref="LayerRun.WhhForward"/>/<see cref="LayerRun.WhhBackward"/>).
/// Each cell that needs any declares one subclass, nested in its own file, with one named field per buffer
/// and its shape in the field's comment (<c>(T, B, H)</c>: row-major, time-major, as every
/// <see cref="LayerRun"/> buffer), and creates it in <see cref="RecurrentCell.CreateBuffers"/>. The layer
/// keeps that one object for its lifetime and resizes it per chunk; a cell reaches it with
/// <see cref="LayerRun.Own{TBuffers}"/> once per call and then works on the plain <c>float[]</c> fields.
/// </summary>
internal abstract class CellBuffers
{
    /// <summary>
    /// Sizes every buffer for a chunk of <paramref name="T"/> steps over <paramref name="B"/> rows with hidden
    /// width <paramref name="H"/>, keeping an array whose length is already right (<c>Buffers.Ensure</c>).
    /// </summary>
    internal abstract void Allocate(int T, int B, int H);
}
