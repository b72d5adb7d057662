using System.Globalization;
using System.Text;

namespace Recur.Data.Translation;

/// <summary>What a piece of pre-tokenised text is.</summary>
public enum PieceKind
{
    /// <summary>A word (letters, marks and digits) or one other character: what subword units are learned from.</summary>
    Text,

    /// <summary>A placeholder (<see cref="Placeholders"/>), kept whole: never split, never merged with its neighbours.</summary>
    Placeholder,

    /// <summary>A whitespace character other than the single space before a piece (a second space, a no-break space).</summary>
    Space,
}

/// <summary>
/// One piece of a message: its text, whether a single space comes before it, what it is, and for a placeholder its kind.
/// </summary>
public readonly record struct Piece(string Text, bool SpaceBefore, PieceKind Kind, PlaceholderKind Placeholder = default);

/// <summary>
/// Cuts a message into pieces before subword units: placeholders (<see cref="Placeholders.Find"/>) each one piece; the
/// rest into words (runs of letters, marks and digits) and single other characters. One space before a piece is a
/// flag on it (<see cref="Piece.SpaceBefore"/>), as SentencePiece's <c>▁</c>; every other whitespace character is a
/// piece of its own (a line break and a tab are placeholders). <see cref="Join"/> gives the text back exactly.
/// </summary>
public static class PreTokenizer
{
    /// <summary>The pieces of <paramref name="text"/>.</summary>
    public static IReadOnlyList<Piece> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<Piece>();
        var marks = Placeholders.Find(text);
        int next = 0, at = 0;
        bool space = false;
        void Add(string s, PieceKind kind, PlaceholderKind p = default)
        {
            pieces.Add(new Piece(s, space, kind, p));
            space = false;
        }
        while (at < text.Length)
        {
            if (next < marks.Count && marks[next].Start == at)
            {
                var m = marks[next++];
                if (space && m.Kind is PlaceholderKind.Newline or PlaceholderKind.Tab) { space = false; pieces.Add(new Piece(" ", false, PieceKind.Space)); }
                Add(m.Text, PieceKind.Placeholder, m.Kind);
                at += m.Length;
                continue;
            }
            int stop = next < marks.Count ? marks[next].Start : text.Length;
            char c = text[at];
            if (char.IsWhiteSpace(c))
            {
                // one space directly before a piece is its flag; any other whitespace is a piece
                if (c == ' ' && !space && at + 1 < text.Length && at + 1 <= stop && (at + 1 == stop || !char.IsWhiteSpace(text[at + 1])))
                    space = true;
                else
                {
                    if (space) { space = false; pieces.Add(new Piece(" ", false, PieceKind.Space)); }
                    pieces.Add(new Piece(c.ToString(), false, PieceKind.Space));
                }
                at++;
                continue;
            }
            int end = at + (Rune.TryGetRuneAt(text, at, out var first) ? first.Utf16SequenceLength : 1);
            if (IsWordChar(text, at))
                while (end < stop && !char.IsWhiteSpace(text[end]) && IsWordChar(text, end)) end += Rune.GetRuneAt(text, end).Utf16SequenceLength;
            Add(text[at..end], PieceKind.Text);
            at = end;
        }
        if (space) pieces.Add(new Piece(" ", false, PieceKind.Space));
        return pieces;
    }

    /// <summary>The text of <paramref name="pieces"/> (the inverse of <see cref="Split"/>).</summary>
    public static string Join(IEnumerable<Piece> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var sb = new StringBuilder();
        foreach (var p in pieces) sb.Append(p.SpaceBefore ? " " : "").Append(p.Text);
        return sb.ToString();
    }

    private static bool IsWordChar(string text, int at)
    {
        if (!Rune.TryGetRuneAt(text, at, out var r)) return false; // a lone surrogate is a piece of its own
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}
