using Recur.Data.Translation;
using Recur.Models.Decoding;
using Recur.Models.Seq2Seq;
using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>
/// Constrained decoding: a decoder that would drop, repeat, invent or compose a placeholder is kept from it, row by row, and
/// one that runs to its length limit is made to write what is missing before it. Each case is worked by hand with a scripted
/// decoder, and each fails without its rule (the same decoder without the constraint, or without the limit, writes the fault).
/// </summary>
public sealed class PlaceholderConstraintTests
{
    private static readonly TranslationVocabulary Vocabulary = TranslationVocabulary.Build(
        [new("Open %s", "Ouvrir %s", null, "t"), new("%s of %d", "%s sur %d", null, "t"), new("Quit", "Quitter", null, "t"),
         new("\nQuit\n", "\nQuitter\n", null, "t"), new("\tDone", "\tFini", null, "t"), new("_Quit", "_Quitter", null, "t"),
         new("Half", "50% des", null, "t"), new("Disk", "disque", null, "t"), new("Count", "Nombre %d", null, "t"),
         new("<bar/> set", "<bar/> fixé", null, "t"), new("Save _As", "Enregistrer _sous", null, "t")], 10);

    private static readonly int V = Vocabulary.TargetSymbols.Count;
    private static readonly int[] Never = [Seq2SeqModel.Pad, Seq2SeqModel.Start];

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

    /// <summary>A one-row decoder that wants <paramref name="script"/>[t] at step t, then the end; its second choice is always the end.</summary>
    private sealed class Scripted(int[] script) : IDecoderStepper
    {
        private readonly float[] _logits = new float[V];
        private int _t;
        public int Batch => 1;
        public ReadOnlySpan<float> Attention => [];

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            Array.Fill(_logits, -10f);
            _logits[Seq2SeqModel.End] = 5f;
            if (_t < script.Length) _logits[script[_t]] = 10f;
            _t++;
            return _logits;
        }

        public void Select(ReadOnlySpan<int> rows) { }
    }

    private static string Greedy(IDecoderStepper decoder, string source, int max = 10, int? limit = null)
    {
        var src = Vocabulary.EncodeSource(source);
        var stepper = new PlaceholderConstraint(decoder, Vocabulary, [src], V, Seq2SeqModel.End, limit is int l ? [l] : null);
        var row = GreedyDecoder.Decode(stepper, V, Seq2SeqModel.Start, Seq2SeqModel.End, max, Never)[0];
        return Vocabulary.Decode(row.Tokens, src.Slots).Text;
    }

    private static string Free(int[] script, string source)
        => Vocabulary.Decode(GreedyDecoder.Decode(new Scripted(script), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10, Never)[0].Tokens,
            Vocabulary.EncodeSource(source).Slots).Text;

    private static int Id(string symbol)
    {
        int id = Vocabulary.TargetId(symbol);
        Assert.NotEqual(TranslationVocabulary.TargetUnknown, id);
        return id;
    }

    [Fact]
    public void TheEndWaitsForEverySlotAndNoSlotIsInventedOrRepeated()
    {
        var (slot0, spaced0) = Vocabulary.TargetSlot(0);
        var (slot1, _) = Vocabulary.TargetSlot(1);
        int word = Vocabulary.EncodeTarget("Quitter", [])[0];
        // the decoder wants: slot 1 (invented for a source with one placeholder), then the end, then slot 0, then a word
        var inner = new Ranked(2, V, [slot1, Seq2SeqModel.End, spaced0, word]);
        EncodedSource one = Vocabulary.EncodeSource("Open %s"), none = Vocabulary.EncodeSource("Quit");
        var rows = GreedyDecoder.Decode(new PlaceholderConstraint(inner, Vocabulary, [one, none], V, Seq2SeqModel.End), V, Seq2SeqModel.Start,
            Seq2SeqModel.End, 10, Never);
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
        var (_, spaced0) = Vocabulary.TargetSlot(0);
        var twice = Vocabulary.EncodeSource("%s of %s");
        Assert.Equal([2], twice.SlotCounts);
        var inner = new Ranked(3, V, [spaced0, Seq2SeqModel.End]);
        var h = BeamSearch.Search(k => new PlaceholderConstraint(new Ranked(k, V, inner.Preference), Vocabulary, [.. Enumerable.Repeat(twice, k)], V,
            Seq2SeqModel.End), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10, 3, never: Never);
        Assert.Equal([spaced0, spaced0], h[0].Tokens);
    }

    [Fact]
    public void LineBreaksAtEitherEndAndTabsFollowTheSource()
    {
        int newline = Id("\n"), tab = Id("\t"), word = Vocabulary.EncodeTarget("Quitter", [])[0];
        // the decoder wants: the end, then a line break, then a tab, then a word
        int[] wants = [Seq2SeqModel.End, newline, tab, word];
        EncodedSource[] sources = [Vocabulary.EncodeSource("\nQuit\n"), Vocabulary.EncodeSource("Quit"), Vocabulary.EncodeSource("\tDone")];
        var rows = GreedyDecoder.Decode(new PlaceholderConstraint(new Ranked(3, V, wants), Vocabulary, sources, V, Seq2SeqModel.End), V,
            Seq2SeqModel.Start, Seq2SeqModel.End, 10, Never);
        // "\nQuit\n": a line break first (forced); a lone line break only starts a message (the check counts it so), so the end
        // waits for a second one, which is what the decoder wants next
        Assert.Equal([newline, newline], rows[0].Tokens);
        Assert.True(Placeholders.Compare("\nQuit\n", Vocabulary.Decode(rows[0].Tokens, []).Text).Ok);
        Assert.False(Placeholders.Compare("\nQuit\n", "\n").Ok); // what ending after one line break would have written
        // "Quit": no line break may start it and the end is free
        Assert.Empty(rows[1].Tokens);
        // "\tDone": the end waits for its tab; a line break may not start it
        Assert.Equal([tab], rows[2].Tokens);
        // beam search too: the symbols the constraint rules out are no candidates, so no empty hypothesis ends at once
        var h = BeamSearch.Search(k => new PlaceholderConstraint(new Ranked(k, V, wants), Vocabulary, [.. Enumerable.Repeat(sources[0], k)], V,
            Seq2SeqModel.End), V, Seq2SeqModel.Start, Seq2SeqModel.End, 10, 3, never: Never);
        Assert.Equal([newline, newline], h[0].Tokens);
    }

    [Fact]
    public void AnOutputThatRunsToItsLimitWritesWhatIsMissingJustBeforeIt()
    {
        int word = Vocabulary.EncodeTarget("Quitter", [])[0];
        var forever = new Ranked(1, V, [word, Seq2SeqModel.End]);
        // "Open %s\n" within 6 symbols: four words, then the slot and the trailing line break, forced as the room runs out
        string limited = Greedy(forever, "Open %s\n", max: 6, limit: 6);
        Assert.True(Placeholders.Compare("Open %s\n", limited).Ok, limited);
        Assert.EndsWith("%s\n", limited, StringComparison.Ordinal);
        // a source with two tabs and a slot in 4 symbols: one word, then the three that are missing
        string tabs = Greedy(new Ranked(1, V, [word, Seq2SeqModel.End]), "\tOpen\t%s", max: 4, limit: 4);
        Assert.True(Placeholders.Compare("\tOpen\t%s", tabs).Ok, tabs);
        // without the limit the constraint cannot know the room runs out: the words fill the output and the end is forced
        string unlimited = Greedy(new Ranked(1, V, [word, Seq2SeqModel.End]), "Open %s\n", max: 6);
        Assert.False(Placeholders.Compare("Open %s\n", unlimited).Ok);
    }

    [Fact]
    public void APlaceholderWrittenOutAsTextCountsByItsKey()
    {
        int literal = Id(TranslationVocabulary.SpaceMark + "%d");
        // "Quit" holds no %d: the written-out %d the decoder prefers is barred, and the end comes
        Assert.Equal("", Greedy(new Ranked(1, V, [literal, Seq2SeqModel.End]), "Quit"));
        Assert.Equal(" %d %d %d", Free([literal, literal, literal], "Quit"));
        // nine placeholders: eight are slots, the ninth (%d) must be written out, once; the end waits for it
        const string nine = "%a %c %e %f %g %i %o %u %d";
        var src = Vocabulary.EncodeSource(nine);
        Assert.Equal(8, src.Slots.Count);
        var slots = Enumerable.Range(0, 8).Select(k => Vocabulary.TargetSlot(k).Spaced).ToArray();
        string all = Greedy(new Ranked(1, V, [Seq2SeqModel.End, literal, .. slots]), nine, max: 20);
        Assert.True(Placeholders.Compare(nine, all).Ok, all);
    }

    [Fact]
    public void NoAcceleratorIsWrittenBeyondTheSources()
    {
        int marker = Id("_"), letter = Vocabulary.EncodeTarget("Quitter", [])[0];
        Assert.True(char.IsLetter(Vocabulary.TargetSymbols[letter][0]));
        // "Quit" has none: after a marker where an accelerator may start, no letter may follow, so the decoder's second choice ends it
        Assert.Equal("_", Greedy(new Scripted([marker, letter]), "Quit"));
        Assert.False(Placeholders.Compare("Quit", Free([marker, letter], "Quit")).Ok);
        // "_Quit" has one: the same symbols are its accelerator
        string one = Greedy(new Scripted([marker, letter]), "_Quit");
        Assert.StartsWith("_Q", one, StringComparison.Ordinal);
        Assert.True(Placeholders.Compare("_Quit", one).Ok, one);
    }

    [Fact]
    public void AMarkerIsNotUndoneByASecondAndALackingAcceleratorIsWrittenBeforeTheLimit()
    {
        int marker = Id("_"), letter = Vocabulary.EncodeTarget("Quitter", [])[0];
        // a decoder that writes markers forever: after the first, where a letter would make the accelerator "_Quit" lacks, a
        // second marker would undo it ("__Qu" holds none), so the letter it likes next comes
        string once = Greedy(new Ranked(1, V, [marker, letter, Seq2SeqModel.End]), "_Quit", max: 6);
        Assert.StartsWith("_Q", once, StringComparison.Ordinal);
        Assert.True(Placeholders.Compare("_Quit", once).Ok, once);
        Assert.False(Placeholders.Compare("_Quit", Free([marker, marker, letter], "_Quit")).Ok);
        // a decoder that never writes one, within 6 symbols: four spaces, then a marker and a letter, as the room runs out
        // (a symbol with the space mark that is no placeholder: with 10 merges, the mark alone)
        int word = Vocabulary.TargetSymbols.Select((s, i) => (s, i))
            .First(x => x.s.StartsWith(TranslationVocabulary.SpaceMark, StringComparison.Ordinal) && x.s.Length < 3 && Placeholders.Find(x.s[1..]).Count == 0)
            .i;
        string w = " " + Vocabulary.TargetSymbols[word][1..];
        Assert.NotEqual(TranslationVocabulary.TargetUnknown, Id(TranslationVocabulary.SpaceMark + "_"));
        string limited = Greedy(new Ranked(1, V, [word, Seq2SeqModel.End]), "_Quit", max: 6, limit: 6);
        Assert.StartsWith(w + w + w + w + "_", limited, StringComparison.Ordinal); // the space before makes it one
        Assert.True(Placeholders.Compare("_Quit", limited).Ok, limited);
        Assert.False(Placeholders.Compare("_Quit", Greedy(new Ranked(1, V, [word, Seq2SeqModel.End]), "_Quit", max: 6)).Ok);
    }

    [Fact]
    public void NoPlaceholderIsComposedOutOfText()
    {
        int percent = Id("%"), d = Vocabulary.EncodeTarget("disque", [])[0];
        Assert.Equal('d', Vocabulary.TargetSymbols[d][0]);
        // a literal % (French "50%") may not be followed by what continues a printf conversion: "%d..." would be one
        Assert.Equal("%", Greedy(new Scripted([percent, d]), "Quit"));
        Assert.False(Placeholders.Compare("Quit", Free([percent, d], "Quit")).Ok);
        // "<", "b", "/", ">" as text would close the markup tag <b/>; its last symbol is barred
        int[] tag = [Id("<"), Id("b"), Id("/"), Id(">")];
        Assert.Equal("<b/", Greedy(new Scripted(tag), "Quit"));
        Assert.Equal("<b/>", Free(tag, "Quit"));
        Assert.False(Placeholders.Compare("Quit", "<b/>").Ok);
    }

    [Fact]
    public void TheComposedCheckComparesPlaceholdersNotTheirCount()
    {
        // "<b %s" then ">" would turn the printf %s into a part of the markup tag <b %s>: as many placeholders, other ones
        var before = Placeholders.Find("<b %s").Where(p => p.Copied).ToList();
        Assert.Single(before);
        Assert.True(PlaceholderConstraint.Composes("<b %s", ">", before, own: 0));
        Assert.False(PlaceholderConstraint.Composes("<b %s", " c", before, own: 0));
        Assert.False(PlaceholderConstraint.Composes("<b %s", " %d", before, own: 1));
    }
}
