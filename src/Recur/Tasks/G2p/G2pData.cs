using System.Text;
using Recur.Data.Language;
using Recur.Models.Seq2Seq;

namespace Recur.Tasks.G2p;

/// <summary>
/// Letters and phonemes as ids for a <see cref="Seq2SeqModel"/>: the source symbols are <c>&lt;pad&gt;</c>,
/// <c>&lt;unk&gt;</c> and the letters of the training words; the targets <c>&lt;NULL&gt;</c>, <c>&lt;START&gt;</c>,
/// <c>&lt;END&gt;</c> and the ARPAbet phonemes with stress (<see cref="CmuLexicon.PhoneSymbols"/>).
/// </summary>
public sealed class G2pSymbols
{
    private readonly Dictionary<char, int> _letters;
    private readonly Dictionary<string, int> _phones;

    public G2pSymbols(IReadOnlyList<string> letters, IReadOnlyList<string> phones)
    {
        ArgumentNullException.ThrowIfNull(letters);
        ArgumentNullException.ThrowIfNull(phones);
        if (letters.Count < 3 || letters[0] != "<pad>" || letters[1] != "<unk>")
            throw new ArgumentException("the letters start with <pad>, <unk> and hold at least one letter.");
        if (phones.Count < 4 || phones[0] != "<NULL>" || phones[1] != "<START>" || phones[2] != "<END>")
            throw new ArgumentException("the phones start with <NULL>, <START>, <END> and hold at least one phone.");
        Letters = letters; Phones = phones;
        _letters = new Dictionary<char, int>();
        for (int i = 2; i < letters.Count; i++)
            if (letters[i].Length != 1 || !_letters.TryAdd(letters[i][0], i))
                throw new ArgumentException($"letter entry {i} '{letters[i]}' is not one new character.");
        _phones = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < phones.Count; i++) if (!_phones.TryAdd(phones[i], i)) throw new ArgumentException($"phone '{phones[i]}' appears twice.");
    }

    /// <summary>The symbols of the training words' letters and every phoneme.</summary>
    public static G2pSymbols Build(IEnumerable<string> trainWords)
    {
        var letters = new SortedSet<char>();
        foreach (var w in trainWords) foreach (char c in w) letters.Add(c);
        return new G2pSymbols(["<pad>", "<unk>", .. letters.Select(c => c.ToString())], ["<NULL>", "<START>", "<END>", .. CmuLexicon.PhoneSymbols]);
    }

    public IReadOnlyList<string> Letters { get; }
    public IReadOnlyList<string> Phones { get; }

    /// <summary>How many letters the model reads (those of its training words; not <c>&lt;pad&gt;</c> nor <c>&lt;unk&gt;</c>).</summary>
    public int LetterCount => Letters.Count - 2;

    /// <summary>True when <paramref name="r"/>, lower-cased as <see cref="Encode"/> does, is one of the letters the model reads.</summary>
    public bool Knows(Rune r)
    {
        var lower = Rune.ToLowerInvariant(r);
        return lower.IsBmp && _letters.ContainsKey((char)lower.Value);
    }

    /// <summary>The letter ids of <paramref name="word"/> (lower case; unknown letters are <c>&lt;unk&gt;</c>).</summary>
    public int[] Encode(string word) => [.. word.ToLowerInvariant().Select(c => _letters.TryGetValue(c, out int id) ? id : 1)];

    /// <summary>The id of a phoneme, or -1.</summary>
    public int Phone(string phone) => _phones.TryGetValue(phone, out int id) ? id : -1;

    /// <summary>Phoneme ids back to symbols.</summary>
    public IReadOnlyList<string> Decode(IEnumerable<int> ids) => [.. ids.Select(i => (uint)i < (uint)Phones.Count ? Phones[i] : "?")];
}

/// <summary>Words and their pronunciations for training or scoring: each (word, pronunciation) pair is one example.</summary>
public sealed class G2pDataset
{
    public G2pDataset(IReadOnlyList<string> words, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> lexicon, G2pSymbols symbols, int maxTarget)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(lexicon);
        ArgumentNullException.ThrowIfNull(symbols);
        Words = words; Lexicon = lexicon; Symbols = symbols; MaxTarget = maxTarget;
        Pairs = [.. words.SelectMany(w => lexicon[w].Where(p => p.Count <= maxTarget).Select(p => (w, p)))];
    }

    public IReadOnlyList<string> Words { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> Lexicon { get; }
    public G2pSymbols Symbols { get; }
    public int MaxTarget { get; }

    /// <summary>Every (word, pronunciation) pair with at most <see cref="MaxTarget"/> phonemes.</summary>
    public IReadOnlyList<(string Word, IReadOnlyList<string> Phones)> Pairs { get; }

    /// <summary>Pairs <paramref name="indices"/> as a padded, packed batch with targets.</summary>
    public Seq2SeqBatch Batch(ReadOnlySpan<int> indices)
    {
        var words = new string[indices.Length];
        var targets = new int[indices.Length * (MaxTarget + 2)];
        for (int b = 0; b < indices.Length; b++)
        {
            var (w, p) = Pairs[indices[b]];
            words[b] = w;
            var row = targets.AsSpan(b * (MaxTarget + 2), MaxTarget + 2);
            row[0] = Seq2SeqModel.Start;
            for (int k = 0; k < p.Count; k++) row[k + 1] = Symbols.Phone(p[k]);
            row[p.Count + 1] = Seq2SeqModel.End;
        }
        return Source(words, Symbols) with { Targets = targets };
    }

    /// <summary>Words as a source batch (no targets).</summary>
    public static Seq2SeqBatch Source(IReadOnlyList<string> words, G2pSymbols symbols)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(symbols);
        if (words.Count == 0 || words.Any(string.IsNullOrEmpty)) throw new ArgumentException("there is no word to pronounce.");
        var enc = words.Select(symbols.Encode).ToArray();
        int B = enc.Length, Ts = enc.Max(e => e.Length);
        var src = new int[Ts * B];
        for (int b = 0; b < B; b++) for (int t = 0; t < enc[b].Length; t++) src[t * B + b] = enc[b][t];
        return new Seq2SeqBatch(src, [.. enc.Select(e => e.Length)], null);
    }
}
