using Recur.Data.Language;
using Xunit;

namespace Recur.Tests.Data.Language;

/// <summary>A fact that needs a data set installed by scripts/install-data.sh; skipped with that reason where it is not.</summary>
public sealed class NeedsFileFactAttribute : FactAttribute
{
    public NeedsFileFactAttribute(string path, string install)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) Skip = $"{path} is not installed ({install}).";
    }
}

public sealed class LanguageDataTests
{
    private static string Samples => Path.Combine(AppContext.BaseDirectory, "Data", "Samples");

    [Fact]
    public void BrownSampleReadsAsTaggedSentences()
    {
        var docs = BrownCorpus.Load(Path.Combine(Samples, "brown"));
        Assert.Equal(10, docs.Count);
        Assert.Equal("ca01", docs[0].Name);
        Assert.Equal('a', docs[0].Genre);
        var first = docs[0].Sentences[0];
        Assert.Equal(["The", "Fulton", "County", "Grand", "Jury", "said"], first.Words.Take(6));
        Assert.Equal(["at", "np-tl", "nn-tl", "jj-tl", "nn-tl", "vbd"], first.Tags.Take(6));
        Assert.All(docs, d => Assert.InRange(d.Sentences.Count, 10, 12));
        Assert.All(docs.SelectMany(d => d.Sentences), s => Assert.Equal(s.Words.Count, s.Tags.Count));
    }

    [Theory]
    [InlineData("np-tl", "np", "NOUN")]
    [InlineData("nn-hl", "nn", "NOUN")]
    [InlineData("np$", "np$", "NOUN")]
    [InlineData("ppss+md", "ppss+md", "PRON")]
    [InlineData("do*", "do*", "VERB")]
    [InlineData("*", "*", "ADV")]
    [InlineData("fw-nn", "fw-nn", "X")]
    [InlineData("``", "``", ".")]
    [InlineData(",", ",", ".")]
    [InlineData("at", "at", "DET")]
    [InlineData("in-tl", "in", "ADP")]
    [InlineData("od", "od", "ADJ")]
    [InlineData("to", "to", "PRT")]
    [InlineData("md", "md", "VERB")]
    public void TagsMapToTheirFineAndUniversalForms(string tag, string fine, string universal)
    {
        Assert.Equal(fine, BrownCorpus.Fine(tag));
        Assert.Equal(universal, BrownCorpus.Universal(tag));
        Assert.Contains(universal, BrownCorpus.UniversalTags);
    }

    [Fact]
    public void DamagedBrownLinesAreRefusedWithTheirNumber()
    {
        var e = Assert.Throws<CorpusFormatException>(() => BrownCorpus.Parse("\tThe/at jury/nn\n\n\tbroken token/nn\n", "x01"));
        Assert.Contains("x01:3", e.Message);
        Assert.Contains("broken", e.Message);
        Assert.Equal("1/2", BrownCorpus.Parse("\t1/2/cd\n", "x").Sentences[0].Words[0]); // the tag follows the last slash
        Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.Load("/nonexistent/brown"));
    }

    [Fact]
    public void SplitsAreByDocumentAndDeterministic()
    {
        var docs = Enumerable.Range(0, 500).Select(i => new BrownDocument($"c{(char)('a' + i % 15)}{i:D2}", [])).ToArray();
        var (train, val, test) = BrownCorpus.Split(docs, 3);
        Assert.Equal((400, 50, 50), (train.Count, val.Count, test.Count));
        Assert.Equal(500, train.Concat(val).Concat(test).Select(d => d.Name).Distinct().Count());
        Assert.Equal(test.Select(d => d.Name), BrownCorpus.Split(docs, 3).Test.Select(d => d.Name));
        Assert.NotEqual(test.Select(d => d.Name), BrownCorpus.Split(docs, 4).Test.Select(d => d.Name));
    }

    [Fact]
    public void CmuSampleReadsAsArpabetWithStress()
    {
        var entries = CmuLexicon.Load(Path.Combine(Samples, "cmudict", "cmudict-sample.out"));
        Assert.True(entries.Count >= 420);
        var by = CmuLexicon.ByWord(entries);
        Assert.Equal(2, by["record"].Count);
        Assert.Contains(by["record"], p => p.SequenceEqual(["R", "EH1", "K", "ER0", "D"]));
        Assert.Contains(by["record"], p => p.SequenceEqual(["R", "AH0", "K", "AO1", "R", "D"])); // Festival's ax is AH
        Assert.All(entries.SelectMany(e => e.Phones), p => Assert.Contains(p, CmuLexicon.PhoneSymbols));
        Assert.All(entries, e => Assert.Equal(e.Word, e.Word.ToLowerInvariant()));
        Assert.Equal(69, CmuLexicon.PhoneSymbols.Count); // 15 vowels x 3 stresses + 24 consonants
    }

    [Theory]
    [InlineData("(\"cat\" nil (((k ae t) 1))", "unclosed")]
    [InlineData("\"cat\" nil (((k ae t) 1)))", "not an entry")]
    [InlineData("(\"cat\" nil (((k ae t) 7)))", "stress")]
    [InlineData("(\"cat\" nil (((k qq t) 1)))", "unknown phone")]
    [InlineData("(\"cat nil (((k ae t) 1)))", "no word")]
    [InlineData("(\"cat\"nil (((k ae t) 1)))", "part of speech")]
    [InlineData("(\"cat\" nil (((k ae t 1)))", "unclosed")]
    public void DamagedDictionaryLinesAreRefusedWithTheirNumber(string line, string why)
    {
        var e = Assert.Throws<CorpusFormatException>(() => CmuLexicon.Parse(new StringReader("MNCL\n(\"a\" dt (((ax) 0)))\n" + line + "\n"), "dict"));
        Assert.Contains("dict:3", e.Message);
        Assert.Contains(why, e.Message);
    }

    [NeedsFileFact(CmuLexicon.DefaultPath, "sudo apt-get install festlex-cmu")]
    public void TheWholeInstalledDictionaryReads()
    {
        var entries = CmuLexicon.Load();
        Assert.True(entries.Count > 100_000);
        var (train, val, test) = CmuLexicon.Split(CmuLexicon.ByWord(entries).Keys, 1);
        Assert.InRange(test.Count, 5000, 5500);
        Assert.Equal(test.Count, val.Count);
    }

    [NeedsFileFact(BrownCorpus.DefaultDirectory, "scripts/install-data.sh")]
    public void TheWholeInstalledCorpusReads()
    {
        var docs = BrownCorpus.Load();
        Assert.Equal(500, docs.Count);
        Assert.True(docs.Sum(d => d.Sentences.Sum(s => s.Words.Count)) > 1_000_000);
    }
}
