using Recur.Data.Translation;
using Recur.Tests.Data.Language;
using Xunit;

namespace Recur.Tests.Data.Translation;

/// <summary>Pairs from catalogues: the length bound, deduplication by source, and the split by source.</summary>
public sealed class TranslationCorpusTests
{
    private static TranslationPair P(string s, string t, string catalogue = "a/a", string? context = null) => new(s, t, context, catalogue);

    [Fact]
    public void ASourceKeepsItsMostFrequentTranslationThenTheOrdinallySmallest()
    {
        var corpus = TranslationCorpus.Build(
        [
            P("Open", "Ouvrir", "a/x", "menu"), P("Open", "Ouvert", "b/y"), P("Open", "Ouvrir", "c/z"),  // Ouvrir twice: kept, from a/x
            P("Close", "Fermer", "a/x"), P("Close", "Clore", "b/y"),                                // one each: "Clore" < "Fermer"
            P("Quit", "Quitter"),
        ], maxCharacters: 100, seed: 1);
        Assert.Equal([P("Close", "Clore", "b/y"), P("Open", "Ouvrir", "a/x", "menu"), P("Quit", "Quitter")], corpus.Pairs); // ordinal order of sources
        Assert.Equal((6, 0, 3, 2), (corpus.RawPairs, corpus.TooLong, corpus.Duplicates, corpus.Conflicting));
    }

    [Fact]
    public void PairsWithASideOverTheBoundOrEmptyAreLeftOut()
    {
        // "é\ud83d\ude00" is 2 characters (3 UTF-16 units): it fits a bound of 2
        var corpus = TranslationCorpus.Build([P("ab", "é\ud83d\ude00"), P("abc", "x"), P("x", "abc"), P("", "x")], maxCharacters: 2, seed: 1);
        Assert.Equal([P("ab", "é\ud83d\ude00")], corpus.Pairs);
        Assert.Equal(3, corpus.TooLong);
    }

    [Fact]
    public void SourcesThatDifferOnlyByCaseAcceleratorOrSpacingFallOnOneSide()
    {
        Assert.Equal("save as...", TranslationCorpus.SplitKey("  Save _As... "));
        foreach (ulong seed in new ulong[] { 1, 2, 3, 4, 5 })
        {
            var part = TranslationCorpus.SplitOf("Save _As...", seed);
            Assert.Equal(part, TranslationCorpus.SplitOf("save as...", seed));
            Assert.Equal(part, TranslationCorpus.SplitOf("Save  As...\n", seed));
        }
    }

    [Fact]
    public void TheSplitIsAbout90To5To5DeterministicAndDisjoint()
    {
        var set = CatalogueSet.Load(MoCatalogueTests.Samples, CatalogueList.Debian);
        var a = TranslationCorpus.Build(set.Pairs, 160, 1);
        var b = TranslationCorpus.Build(set.Pairs, 160, 1);
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Pairs.Count, a.Train.Count + a.Validation.Count + a.Test.Count);
        var keys = new[] { a.Train, a.Validation, a.Test }.Select(s => s.Select(p => TranslationCorpus.SplitKey(p.Source)).ToHashSet()).ToArray();
        Assert.Empty(keys[0].Intersect(keys[1]));
        Assert.Empty(keys[0].Intersect(keys[2]));
        Assert.Empty(keys[1].Intersect(keys[2]));
        double n = a.Pairs.Count;
        Assert.InRange(a.Train.Count / n, 0.86, 0.94);
        Assert.InRange(a.Validation.Count / n, 0.03, 0.07);
        Assert.InRange(a.Test.Count / n, 0.03, 0.07);
        Assert.NotEqual(a.Validation, TranslationCorpus.Build(set.Pairs, 160, 2).Validation); // another seed, another split
    }

    [Fact]
    public void TheSampleFolderGivesItsTenCataloguesAndTheirCounts()
    {
        var set = CatalogueSet.Load(MoCatalogueTests.Samples, CatalogueList.Debian);
        Assert.Equal(CatalogueList.Catalogues(CatalogueList.Debian).Count(), set.Catalogues.Count);
        Assert.Equal(10, set.Catalogues.Count(c => c.Found));
        var upower = set.Catalogues.Single(c => c.Domain == "upower");
        Assert.Equal(("upower", 7, 7), (upower.Package, upower.Messages, upower.Pairs));
        Assert.Equal(set.Catalogues.Sum(c => c.Pairs), set.Pairs.Count);
        Assert.Contains(set.Pairs, p => p.Context is not null && p.Catalogue == "libgdk-pixbuf2.0-common/gdk-pixbuf");
        var e = Assert.Throws<FileNotFoundException>(() => CatalogueSet.Load(Path.GetTempPath(), CatalogueList.Debian));
        Assert.Contains("holds none of the 96 catalogues of the list", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => CatalogueSet.Load(Path.Combine(Path.GetTempPath(), "no-such-folder-x"), CatalogueList.Debian));
    }

    /// <summary>The installed catalogues of the list (scripts/install-data.sh) all read, and give tens of thousands of pairs.</summary>
    [NeedsFileFact(CatalogueList.DefaultFolder + "/coreutils.mo", "scripts/install-data.sh")]
    public void TheWholeInstalledCorpusReads()
    {
        var set = CatalogueSet.Load(CatalogueList.DefaultFolder, CatalogueList.Debian);
        Assert.True(set.Catalogues.Count(c => c.Found) >= 80, string.Join(", ", set.Catalogues.Where(c => !c.Found).Select(c => c.Domain)));
        var corpus = TranslationCorpus.Build(set.Pairs, TranslationCorpus.DefaultMaxCharacters, 1);
        Assert.True(corpus.Pairs.Count > 40_000, $"{corpus.Pairs.Count} pairs");
        Assert.InRange(corpus.Validation.Count / (double)corpus.Pairs.Count, 0.04, 0.06);
    }
}
