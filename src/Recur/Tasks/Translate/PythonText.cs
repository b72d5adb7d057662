using System.Text;

namespace Recur.Tasks.Translate;

/// <summary>Python's <c>str.split()</c> and <c>str.rstrip()</c> (its whitespace: <c>str.isspace</c>), which sacreBLEU's metrics use.</summary>
public static class PythonText
{
    /// <summary>True for the characters Python's <c>str.isspace</c> accepts.</summary>
    public static bool IsSpace(int c) => c is >= 0x09 and <= 0x0d or >= 0x1c and <= 0x20 or 0x85 or 0xa0 or 0x1680 or >= 0x2000 and <= 0x200a
        or 0x2028 or 0x2029 or 0x202f or 0x205f or 0x3000;

    /// <summary><c>s.split()</c>: the runs of non-whitespace.</summary>
    public static List<string> Split(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var parts = new List<string>();
        int start = -1;
        for (int i = 0; i <= s.Length; i++)
        {
            bool space = i == s.Length || IsSpace(s[i]);
            if (space && start >= 0) { parts.Add(s[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        return parts;
    }

    /// <summary><c>s.rstrip()</c>.</summary>
    public static string RStrip(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        int end = s.Length;
        while (end > 0 && IsSpace(s[end - 1])) end--;
        return s[..end];
    }

    /// <summary><c>''.join(s.split())</c>: every whitespace character taken out.</summary>
    public static string WithoutSpaces(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder(s.Length);
        foreach (char c in s) if (!IsSpace(c)) sb.Append(c);
        return sb.ToString();
    }
}
