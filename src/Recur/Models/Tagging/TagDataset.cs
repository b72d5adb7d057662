using Recur.Data.Language;
using Recur.Nn;

namespace Recur.Models.Tagging;

/// <summary>Tagged sentences ready for a <see cref="Tagger"/>: each token's word id, characters and tag id; batches are built padded and packed.</summary>
public sealed class TagDataset
{
    private readonly int[][] _words, _tags;
    private readonly int[][][] _chars;

    /// <summary>The sentences, encoded with <paramref name="vocabulary"/> (corpus tags mapped to its tagset; an unknown tag is an error).</summary>
    public TagDataset(IReadOnlyList<TaggedSentence> sentences, TagVocabulary vocabulary, int maxWordChars)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Sentences = sentences; Vocabulary = vocabulary;
        _words = new int[sentences.Count][];
        _tags = new int[sentences.Count][];
        _chars = new int[sentences.Count][][];
        for (int i = 0; i < sentences.Count; i++)
        {
            var s = sentences[i];
            _words[i] = [.. s.Words.Select(vocabulary.Word)];
            _chars[i] = [.. s.Words.Select(w => vocabulary.CharIds(w, maxWordChars))];
            _tags[i] = [.. s.Tags.Select(t =>
            {
                int id = vocabulary.Tag(vocabulary.Map(t));
                return id >= 0 ? id : throw new ArgumentException($"tag '{t}' ({vocabulary.Map(t)}) is not in the tag vocabulary.");
            })];
        }
    }

    public IReadOnlyList<TaggedSentence> Sentences { get; }
    public TagVocabulary Vocabulary { get; }
    public int Count => Sentences.Count;

    /// <summary>Tokens in all sentences.</summary>
    public long Tokens => _words.Sum(w => (long)w.Length);

    /// <summary>Sentences <paramref name="indices"/> as a padded, packed batch (with targets).</summary>
    public TagBatch Batch(ReadOnlySpan<int> indices)
    {
        int B = indices.Length, T = 1;
        foreach (int i in indices) T = Math.Max(T, _words[i].Length);
        var words = new int[T * B];
        var targets = new int[T * B];
        Array.Fill(targets, SoftmaxCrossEntropy.DefaultIgnoreIndex);
        var lengths = new int[B];
        var chars = new List<int[]>();
        for (int b = 0; b < B; b++) lengths[b] = _words[indices[b]].Length;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                int i = indices[b];
                if (t >= lengths[b]) continue;
                words[t * B + b] = _words[i][t];
                targets[t * B + b] = _tags[i][t];
                chars.Add(_chars[i][t]);
            }
        return new TagBatch(words, lengths, chars, targets);
    }

    /// <summary>A batch of plain sentences to tag (no targets).</summary>
    public static TagBatch Encode(IReadOnlyList<IReadOnlyList<string>> sentences, TagVocabulary vocabulary, int maxWordChars)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (sentences.Count == 0 || sentences.Any(s => s.Count == 0)) throw new ArgumentException("there is nothing to tag: a sentence has no words.");
        var fake = sentences.Select(s => new TaggedSentence(s, [.. s.Select(_ => vocabulary.Tags[0])])).ToArray();
        var set = new TagDataset(fake, new TagVocabulary(vocabulary.Words, vocabulary.Chars, vocabulary.Tags, "identity"), maxWordChars);
        var b = set.Batch([.. Enumerable.Range(0, sentences.Count)]);
        return b with { Targets = null };
    }
}
