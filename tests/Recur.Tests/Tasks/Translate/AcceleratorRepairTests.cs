using Recur.Data.Translation;
using Recur.Tasks.Translate;
using Xunit;

namespace Recur.Tests.Tasks.Translate;

/// <summary>A missing accelerator put back on the output word that attends most to the source's accelerated word, worked by hand.</summary>
public sealed class AcceleratorRepairTests
{
    private static readonly TranslationVocabulary Vocabulary = TranslationVocabulary.Build(
        [new("_Paper size:", "_Taille du papier :", null, "t"), new("&Open", "&Ouvrir", null, "t")], 0);

    /// <summary>
    /// Attention rows for <paramref name="outputs"/> symbols over <paramref name="source"/>, uniform but for row
    /// <paramref name="peak"/>, all on symbol <paramref name="at"/>.
    /// </summary>
    private static float[][] Attention(EncodedSource source, int outputs, int peak, int at)
    {
        var rows = new float[outputs][];
        for (int i = 0; i < outputs; i++)
        {
            rows[i] = new float[source.Ids.Length];
            Array.Fill(rows[i], 1f / source.Ids.Length);
        }
        Array.Fill(rows[peak], 0f);
        rows[peak][at] = 1f;
        return rows;
    }

    [Fact]
    public void TheMarkerGoesBeforeTheWordAlignedWithTheAcceleratedOne()
    {
        var src = Vocabulary.EncodeSource("_Paper size:");
        // the source's symbols: "_" (the marker), then the letters of "Paper" (no merges), so "P" is symbol 1
        Assert.Equal(["_", "P", "a", "p", "e", "r"], src.Tokens.Take(6));
        string[] output = ["Taille", " du", " papier", " :"];
        Assert.False(Placeholders.Compare(src.Text, string.Concat(output)).Ok);
        // " papier" attends to "P": the marker goes after its space
        var aligned = AcceleratorRepair.Apply(src, output, Attention(src, 4, peak: 2, at: 1));
        Assert.Equal("Taille du _papier :", string.Concat(aligned));
        Assert.True(Placeholders.Compare(src.Text, string.Concat(aligned)).Ok);
        // without attention (a model without any), the first word takes it
        Assert.Equal("_Taille du papier :", string.Concat(AcceleratorRepair.Apply(src, output, [])));
        // an ampersand for an ampersand
        var open = Vocabulary.EncodeSource("&Open");
        Assert.Equal("&Ouvrir", string.Concat(AcceleratorRepair.Apply(open, ["Ouvrir"], [])));
    }

    [Fact]
    public void NothingChangesWhereNoPlaceMakesAnAcceleratorOrNoneIsMissing()
    {
        var src = Vocabulary.EncodeSource("_Paper size:");
        // no symbol starts with a letter where a marker would make an accelerator (after a digit, after another marker)
        string[] none = ["9", "x", " _", "_y", " :"];
        Assert.Equal(none, AcceleratorRepair.Apply(src, none, []));
        // the output already holds it
        string[] kept = ["Taille", " du", " _papier"];
        Assert.Equal(kept, AcceleratorRepair.Apply(src, kept, []));
        // a source without accelerators: nothing to put back
        var plain = Vocabulary.EncodeSource("Paper size:");
        string[] output = ["Taille"];
        Assert.Equal(output, AcceleratorRepair.Apply(plain, output, []));
    }
}
