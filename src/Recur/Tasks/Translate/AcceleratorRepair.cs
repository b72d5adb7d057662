using Recur.Data.Translation;

namespace Recur.Tasks.Translate;

/// <summary>
/// Puts back an accelerator a constrained translation left out (<see cref="PlaceholderConstraint"/> keeps it from writing
/// more than its source's, not from writing fewer): the missing marker goes before the first letter of the output word
/// that attends most to the source's accelerated word (the last decoder layer's cross-attention for a Transformer), or of
/// the first word where the model has no attention, at a place where it makes an accelerator (a word's first letter, not
/// inside a placeholder). The change is kept only when the check (<see cref="Placeholders.Compare"/>) then finds fewer faults.
/// </summary>
public static class AcceleratorRepair
{
    /// <summary>
    /// <paramref name="tokens"/> (each output symbol's text, a leading space as a space: their concatenation is the output)
    /// with the accelerators of <paramref name="source"/> they lack put back; <paramref name="attention"/> holds each
    /// symbol's attention over the source's symbols, or nothing.
    /// </summary>
    public static IReadOnlyList<string> Apply(EncodedSource source, IReadOnlyList<string> tokens, IReadOnlyList<float[]> attention)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(attention);
        var wanted = Placeholders.Find(source.Text).Where(p => p.Kind == PlaceholderKind.Accelerator).ToList();
        if (wanted.Count == 0) return tokens;
        var result = tokens.ToArray();
        foreach (char marker in "_&")
        {
            var mine = wanted.Where(p => p.Text[0] == marker).ToList();
            int have = Accelerators(TextOf(result), marker);
            for (int r = have; r < mine.Count; r++)
            {
                int aligned = TokenAt(source.Tokens, mine[r].Start + 1);
                if (Insert(source.Text, result, marker, aligned, attention) is not { } repaired) break;
                result = repaired;
            }
        }
        return result;
    }

    /// <summary>The text of symbols (the space mark as a space).</summary>
    private static string TextOf(IEnumerable<string> tokens) => string.Concat(tokens).Replace(TranslationVocabulary.SpaceMark, " ", StringComparison.Ordinal);

    private static int Accelerators(string text, char marker)
        => Placeholders.Find(text).Count(p => p.Kind == PlaceholderKind.Accelerator && p.Text[0] == marker);

    /// <summary>The symbols with <paramref name="marker"/> put before the best word, or null when no place makes the check happier.</summary>
    private static string[]? Insert(string sourceText, string[] tokens, char marker, int aligned, IReadOnlyList<float[]> attention)
    {
        string text = TextOf(tokens);
        var inside = Placeholders.Find(text).Where(p => p.Kind != PlaceholderKind.Accelerator).ToList();
        var check = Placeholders.Compare(sourceText, text);
        int faults = check.Dropped.Count + check.Invented.Count;
        var places = new List<(int Token, double Score)>();
        int at = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            int letter = at + (tokens[i].StartsWith(' ') ? 1 : 0);
            at += TextOf([tokens[i]]).Length;
            if (letter >= at || !char.IsLetter(text[letter]) || (letter > 0 && ConstraintSymbols.BlocksAccelerator(text[letter - 1]))) continue;
            if (inside.Any(p => letter >= p.Start && letter < p.Start + p.Length)) continue;
            double score = aligned >= 0 && i < attention.Count && aligned < attention[i].Length ? attention[i][aligned] : 0;
            places.Add((i, score));
        }
        foreach (var (i, _) in places.OrderByDescending(p => p.Score).ThenBy(p => p.Token))
        {
            var tried = (string[])tokens.Clone();
            tried[i] = tried[i].StartsWith(' ') ? " " + marker + tried[i][1..] : marker + tried[i];
            var after = Placeholders.Compare(sourceText, TextOf(tried));
            if (after.Dropped.Count + after.Invented.Count < faults) return tried;
        }
        return null;
    }

    /// <summary>The index of the symbol of <paramref name="tokens"/> that holds character <paramref name="position"/> of their text, or -1.</summary>
    private static int TokenAt(IReadOnlyList<string> tokens, int position)
    {
        int at = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            at += TextOf([tokens[i]]).Length;
            if (position < at) return i;
        }
        return -1;
    }
}
