using System.Globalization;

namespace Recur.Data.Translation;

/// <summary>
/// A catalogue's <c>Plural-Forms</c> rule (<c>nplurals=2; plural=(n &gt; 1);</c>): how many translations a plural entry
/// holds and which one a count <c>n</c> takes. The expression is gettext's C subset: <c>n</c>, whole numbers,
/// <c>( )</c>, <c>!</c>, <c>* / %</c>, <c>+ -</c>, <c>&lt; &lt;= &gt; &gt;=</c>, <c>== !=</c>, <c>&amp;&amp;</c>,
/// <c>||</c> and <c>? :</c>, evaluated in unsigned 64-bit arithmetic as gettext does. A catalogue without the header
/// follows gettext's default, <c>nplurals=2; plural=n != 1</c> (English's). Anything it cannot read is a
/// <see cref="MoFormatException"/>; the expression is bounded in length and nesting before it is read.
/// </summary>
public sealed class PluralRule
{
    /// <summary>The longest expression read, in characters.</summary>
    public const int MaxLength = 256;

    /// <summary>The deepest nesting of parentheses and operators read.</summary>
    public const int MaxDepth = 64;

    private readonly Node _root;

    private PluralRule(int count, Node root, string text)
    {
        Count = count;
        _root = root;
        Text = text;
    }

    /// <summary>gettext's default rule (<c>nplurals=2; plural=n != 1</c>).</summary>
    public static PluralRule Default { get; } = Parse("nplurals=2; plural=n != 1;", "default");

    /// <summary>How many translations a plural entry holds (<c>nplurals</c>).</summary>
    public int Count { get; }

    /// <summary>The header's text of the rule.</summary>
    public string Text { get; }

    /// <summary>The index of the translation that the count <paramref name="n"/> takes (0 to <see cref="Count"/> - 1).</summary>
    public int IndexOf(ulong n, string file)
    {
        ulong v = _root.Eval(n, file);
        if (v >= (ulong)Count) throw new MoFormatException($"{file}: the plural rule '{Text}' gives form {v} for n = {n}, but nplurals is {Count}.");
        return (int)v;
    }

    /// <summary>The rule of a <c>Plural-Forms</c> header value (<c>nplurals=2; plural=(n &gt; 1);</c>).</summary>
    public static PluralRule Parse(string header, string file)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Length > 2 * MaxLength) throw Bad(file, header, "it is too long");
        int np = header.IndexOf("nplurals", StringComparison.Ordinal), p = header.IndexOf("plural=", StringComparison.Ordinal);
        if (np < 0 || p < 0) throw Bad(file, header, "it has no nplurals= or no plural=");
        int eq = header.IndexOf('=', np);
        int semi = header.IndexOf(';', eq);
        string countText = header[(eq + 1)..(semi < 0 ? header.Length : semi)].Trim();
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > 16)
            throw Bad(file, header, $"nplurals '{countText}' is not a whole number from 1 to 16");
        int end = header.IndexOf(';', p);
        string expr = header[(p + 7)..(end < 0 ? header.Length : end)].Trim();
        if (expr.Length == 0 || expr.Length > MaxLength) throw Bad(file, header, "the plural expression is empty or too long");
        var parser = new Parser(expr, file, header);
        var root = parser.Expression(0);
        parser.End();
        return new PluralRule(count, root, header.Trim());
    }

    private static MoFormatException Bad(string file, string header, string why)
        => new($"{file}: Plural-Forms '{Shorten(header)}' cannot be read: {why}.");

    private static string Shorten(string s) => (s.Length > 80 ? s[..80] + "..." : s).Replace('\n', ' ');

    private abstract class Node
    {
        public abstract ulong Eval(ulong n, string file);
    }

    private sealed class Variable : Node
    {
        public override ulong Eval(ulong n, string file) => n;
    }

    private sealed class Number(ulong value) : Node
    {
        public override ulong Eval(ulong n, string file) => value;
    }

    private sealed class Not(Node a) : Node
    {
        public override ulong Eval(ulong n, string file) => a.Eval(n, file) == 0 ? 1UL : 0UL;
    }

    private sealed class Choice(Node test, Node yes, Node no) : Node
    {
        public override ulong Eval(ulong n, string file) => test.Eval(n, file) != 0 ? yes.Eval(n, file) : no.Eval(n, file);
    }

    private sealed class Binary(string op, Node a, Node b) : Node
    {
        public override ulong Eval(ulong n, string file)
        {
            ulong x = a.Eval(n, file);
            if (op == "&&") return x != 0 && b.Eval(n, file) != 0 ? 1UL : 0UL;
            if (op == "||") return x != 0 || b.Eval(n, file) != 0 ? 1UL : 0UL;
            ulong y = b.Eval(n, file);
            return op switch
            {
                "*" => unchecked(x * y),
                "/" => y == 0 ? throw new MoFormatException($"{file}: the plural rule divides by zero for n = {n}.") : x / y,
                "%" => y == 0 ? throw new MoFormatException($"{file}: the plural rule divides by zero for n = {n}.") : x % y,
                "+" => unchecked(x + y),
                "-" => unchecked(x - y),
                "<" => x < y ? 1UL : 0UL,
                "<=" => x <= y ? 1UL : 0UL,
                ">" => x > y ? 1UL : 0UL,
                ">=" => x >= y ? 1UL : 0UL,
                "==" => x == y ? 1UL : 0UL,
                _ => x != y ? 1UL : 0UL,
            };
        }
    }

    /// <summary>Precedence climbing over the operators, lowest first; <c>? :</c> is below them all and right-associative.</summary>
    private sealed class Parser(string text, string file, string header)
    {
        private static readonly string[][] Levels = [["||"], ["&&"], ["==", "!="], ["<=", ">=", "<", ">"], ["+", "-"], ["*", "/", "%"]];
        private int _pos;

        public Node Expression(int depth)
        {
            Enter(depth);
            var test = Level(0, depth + 1);
            if (!Accept("?")) return test;
            var yes = Expression(depth + 1);
            if (!Accept(":")) throw Bad(file, header, $"'?' without ':' at character {_pos + 1}");
            var no = Expression(depth + 1);
            return new Choice(test, yes, no);
        }

        public void End()
        {
            Skip();
            if (_pos != text.Length) throw Bad(file, header, $"unexpected '{text[_pos]}' at character {_pos + 1}");
        }

        private Node Level(int level, int depth)
        {
            Enter(depth);
            if (level == Levels.Length) return Unary(depth + 1);
            var left = Level(level + 1, depth + 1);
            while (Levels[level].FirstOrDefault(Peek) is { } op)
            {
                Accept(op);
                left = new Binary(op, left, Level(level + 1, depth + 1));
            }
            return left;
        }

        private Node Unary(int depth)
        {
            Enter(depth);
            Skip();
            if (Peek("!") && !Peek("!=")) { _pos++; return new Not(Unary(depth + 1)); }
            if (Accept("("))
            {
                var e = Expression(depth + 1);
                if (!Accept(")")) throw Bad(file, header, $"a '(' is not closed at character {_pos + 1}");
                return e;
            }
            if (_pos < text.Length && text[_pos] == 'n') { _pos++; return new Variable(); }
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (_pos == start) throw Bad(file, header, _pos < text.Length ? $"unexpected '{text[_pos]}' at character {_pos + 1}" : "it ends too soon");
            if (!ulong.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v))
                throw Bad(file, header, $"the number at character {start + 1} is too large");
            return new Number(v);
        }

        private void Enter(int depth)
        {
            if (depth > MaxDepth * 8) throw Bad(file, header, "it is nested too deeply");
        }

        private void Skip()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
        }

        private bool Peek(string s)
        {
            Skip();
            return string.CompareOrdinal(text, _pos, s, 0, s.Length) == 0;
        }

        private bool Accept(string s)
        {
            if (!Peek(s)) return false;
            _pos += s.Length;
            return true;
        }
    }
}
