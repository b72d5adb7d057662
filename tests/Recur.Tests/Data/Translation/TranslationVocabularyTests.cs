using Recur.Data.Translation;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>The translation vocabulary: placeholder slots, the round trip through ids, unknown symbols.</summary>
public sealed class TranslationVocabularyTests
{
    private static readonly TranslationPair[] Train =
    [
        new("Open %s", "Ouvrir %s", null, "t"),
        new("Copy %s to %d", "Copier %s vers %d", null, "t"),
        new("<b>Open</b> the file", "<b>Ouvrir</b> le fichier", null, "t"),
        new("_Save", "_Enregistrer", null, "t"),
    ];

    [Fact]
    public void CopiedPlaceholdersBecomeSlotsAndComeBackFromTheSource()
    {
        var v = TranslationVocabulary.Build(Train, 20);
        var src = v.EncodeSource("Copy {name} to %s to %s");
        Assert.Equal(["{name}", "%s"], src.Slots);                          // distinct, in order; {name} never seen in training
        Assert.DoesNotContain(TranslationVocabulary.SourceUnknown, src.Ids);  // its slot is known
        var target = v.EncodeTarget("Copier %s vers {name}", src.Slots);
        var back = v.Decode(target, src.Slots);
        Assert.Equal("Copier %s vers {name}", back.Text);
        Assert.Equal(0, back.InventedSlots);
        Assert.Equal(TranslationVocabulary.SpaceMark + "{name}", back.Tokens[^1]);
    }

    [Fact]
    public void ASlotTheSourceHasNotIsCountedAsInvented()
    {
        var v = TranslationVocabulary.Build(Train, 20);
        var two = v.EncodeSource("Copy %s to %d");
        var ids = v.EncodeTarget("Copier %s vers %d", two.Slots);
        var back = v.Decode(ids, ["%s"]); // decoded against a source with one placeholder: slot 1 is made up
        Assert.Equal("Copier %s vers", back.Text);
        Assert.Equal(1, back.InventedSlots);
    }

    [Fact]
    public void UnknownSymbolsAreUnknownAndTheAlphabetIsTheSources()
    {
        var v = TranslationVocabulary.Build(Train, 20);
        Assert.Contains(TranslationVocabulary.SourceUnknown, v.EncodeSource("Zebra").Ids); // 'Z' never seen
        Assert.True(v.Knows(new System.Text.Rune('O')));
        Assert.False(v.Knows(new System.Text.Rune('g')));     // only in a French target (Enregistrer)
        Assert.Equal(new string(' ', 5) + " ok", TranslationVocabulary.WordsOnly("<b>%s ok"));
        var rebuilt = new TranslationVocabulary(new BpeMerges(v.Bpe.Merges), v.SourceSymbols, v.TargetSymbols, v.Alphabet);
        Assert.Equal(v.EncodeSource("Open the file").Ids, rebuilt.EncodeSource("Open the file").Ids);
    }

    [Fact]
    public void EveryTrainingTargetComesBackExactly()
    {
        var set = CatalogueSet.Load(MoCatalogueTests.Samples, CatalogueList.Debian);
        var corpus = TranslationCorpus.Build(set.Pairs, 160, 1);
        var v = TranslationVocabulary.Build(corpus.Train, 300);
        foreach (var p in corpus.Train)
        {
            var s = v.EncodeSource(p.Source);
            var t = v.EncodeTarget(p.Target, s.Slots);
            Assert.DoesNotContain(TranslationVocabulary.TargetUnknown, t);
            Assert.Equal(p.Target, v.Decode(t, s.Slots).Text);
        }
    }
}
