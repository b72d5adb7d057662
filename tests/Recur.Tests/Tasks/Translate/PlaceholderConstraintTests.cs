using Recur.Data.Translation;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>Constrained decoding: a decoder that would drop, repeat or invent a placeholder is kept from it, row by row.</summary>
public sealed class PlaceholderConstraintTests
{
    private static readonly TranslationVocabulary Vocabulary = TranslationVocabulary.Build(
        [new("Open %s", "Ouvrir %s", null, "t"), new("%s of %d", "%s sur %d", null, "t"), new("Quit", "Quitter", null, "t"),
         new("\nQuit\n", "\nQuitter\n", null, "t"), new("\tDone", "\tFini", null, "t")], 10);

    /// <summary>A decoder whose every row prefers, in order, the symbols of <see cref="Preference"/> (a fixed ranking).</summary>
    private sealed class Ranked(int batch, int vocab, int[] preference) : IDecoderStepper
    {
        private readonly float[] _logits = new float[batch * vocab];
        public int Batch => batch;
        public ReadOnlySpan<float> Attention => [];
        public int[] Preference => preference;

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            Array.Fill(_logits, -10f);
            for (int b = 0; b < batch; b++)
                for (int r = 0; r < preference.Length; r++) _logits[b * vocab + preference[r]] = 10f - r;
            return _logits;
        }

        public void Select(ReadOnlySpan<int> rows) { }
    }

    [Fact]
    public void TheEndWaitsForEverySlotAndNoSlotIsInventedOrRepeated()
    {
        int V = Vocabulary.TargetSymbols.Count;
        var (slot0, spaced0) = Vocabulary.TargetSlot(0);
        var (slot1, _) = Vocabulary.TargetSlot(1);
        int word = Vocabulary.EncodeTarget("Quitter", [])[0];
        // the decoder wants: slot 1 (invented for a source with one placeholder), then the end, then slot 0, then a word
        var inner = new Ranked(2, V, [slot1, Seq2SeqModel.End, spaced0, word]);
        EncodedSource one = Vocabulary.EncodeSource("Open %s"), none = Vocabulary.EncodeSource("Quit");
        var rows = GreedyDecoder.Decode(new PlaceholderConstraint(inner, Vocabulary, [one, none], V, Seq2SeqModel.End), V, Seq2SeqModel.Start,
            Seq2SeqModel.End, 10, [Seq2SeqModel.Pad, Seq2SeqModel.Start]);
        // "Open %s": slot 1 is barred, the end is barred until slot 0 comes, then slot 0 is barred and the end is free
        Assert.Equal([spaced0], rows[0].Tokens);
        Assert.Equal(" %s", Vocabulary.Decode(rows[0].Tokens, one.Slots).Text);
        // "Quit": no slot at all, so the end is free at once
        Assert.Empty(rows[1].Tokens);
        // without the constraint the decoder writes slot 1, the one it prefers, at every step until the length limit
        var free = GreedyDecoder.Decode(new Ranked(1, V, [slot1, Seq2SeqModel.End]), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10);
        Assert.Equal(Enumerable.Repeat(slot1, 10), free[0].Tokens);
        Assert.NotEqual(slot0, slot1);
    }

    [Fact]
    public void ASlotTheSourceHoldsTwiceMayComeTwiceAndBeamRowsKeepTheirOwnCounts()
    {
        int V = Vocabulary.TargetSymbols.Count;
        var (_, spaced0) = Vocabulary.TargetSlot(0);
        var twice = Vocabulary.EncodeSource("%s of %s");
        Assert.Equal([2], twice.SlotCounts);
        var inner = new Ranked(3, V, [spaced0, Seq2SeqModel.End]);
        var h = BeamSearch.Search(k => new PlaceholderConstraint(new Ranked(k, V, inner.Preference), Vocabulary, [.. Enumerable.Repeat(twice, k)], V,
            Seq2SeqModel.End), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10, 3, never: [Seq2SeqModel.Pad, Seq2SeqModel.Start]);
        Assert.Equal([spaced0, spaced0], h[0].Tokens);
    }

    [Fact]
    public void LineBreaksAtEitherEndAndTabsFollowTheSource()
    {
        int V = Vocabulary.TargetSymbols.Count;
        int newline = Vocabulary.TargetId("\n"), tab = Vocabulary.TargetId("\t"), word = Vocabulary.EncodeTarget("Quitter", [])[0];
        Assert.NotEqual(TranslationVocabulary.TargetUnknown, newline);
        // the decoder wants: the end, then a line break, then a tab, then a word
        int[] wants = [Seq2SeqModel.End, newline, tab, word];
        EncodedSource[] sources = [Vocabulary.EncodeSource("\nQuit\n"), Vocabulary.EncodeSource("Quit"), Vocabulary.EncodeSource("\tDone")];
        var rows = GreedyDecoder.Decode(new PlaceholderConstraint(new Ranked(3, V, wants), Vocabulary, sources, V, Seq2SeqModel.End), V,
            Seq2SeqModel.Start, Seq2SeqModel.End, 10, [Seq2SeqModel.Pad, Seq2SeqModel.Start]);
        // "\nQuit\n": a line break first (forced), then the end waits for a line break, which is what the decoder wants next
        Assert.Equal([newline], rows[0].Tokens);
        Assert.Equal("\n", Vocabulary.Decode(rows[0].Tokens, []).Text); // one line break both starts and ends it
        // "Quit": no line break may start it and the end is free
        Assert.Empty(rows[1].Tokens);
        // "\tDone": the end waits for its tab; a line break may not start it
        Assert.Equal([tab], rows[2].Tokens);
        // beam search too: the symbols the constraint rules out are no candidates, so no empty hypothesis ends at once
        var h = BeamSearch.Search(k => new PlaceholderConstraint(new Ranked(k, V, wants), Vocabulary, [.. Enumerable.Repeat(sources[0], k)], V,
            Seq2SeqModel.End), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10, 3, never: [Seq2SeqModel.Pad, Seq2SeqModel.Start]);
        Assert.Equal([newline], h[0].Tokens);
    }
}
