using System.Globalization;

namespace Recur.Cli;

/// <summary>
/// Command-line options in the GNU style: <c>--name value</c>, <c>--name=value</c>, boolean
/// <c>--flag</c>; everything else is positional. Every option a command reads is marked used;
/// <see cref="ThrowOnUnused"/> rejects the rest with their names, so typos are not ignored.
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(string[] argv)
    {
        Raw = [.. argv];
        for (int i = 0; i < argv.Length; i++)
        {
            string a = argv[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string body = a[2..];
                int eq = body.IndexOf('=');
                string name; string? value;
                if (eq >= 0) { name = body[..eq]; value = body[(eq + 1)..]; }
                else if (i + 1 < argv.Length && !IsOptionName(argv[i + 1])) { name = body; value = argv[++i]; }
                else { name = body; value = null; }
                if (_options.ContainsKey(name)) throw new CliException($"option --{name} is given twice.");
                _options[name] = value;
            }
            else if (a is "-h") _options["h"] = null;
            else Positional.Add(a);
        }
    }

    /// <summary>The arguments as given (after the command name).</summary>
    public IReadOnlyList<string> Raw { get; }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positional { get; } = [];

    private static bool IsOptionName(string s) => s.StartsWith("--", StringComparison.Ordinal) && s.Length > 2
        && !double.TryParse(s, CultureInfo.InvariantCulture, out _);

    /// <summary>True when the option was given (with or without a value).</summary>
    public bool Has(string name) { _used.Add(name); return _options.ContainsKey(name); }

    /// <summary>A boolean flag: present without a value, or with true/false/1/0.</summary>
    public bool Flag(string name)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        if (v is null) return true;
        return v.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new CliException($"--{name} takes no value or true/false, got '{v}'."),
        };
    }

    public string? String(string name, string? fallback = null)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out var v)) return fallback;
        return v ?? throw new CliException($"--{name} needs a value.");
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new CliException($"--{name} must be a whole number, got '{s}'.");
        if (v < min || v > max) throw new CliException($"--{name} must be in [{min}, {max}], got {v}.");
        return v;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v))
            throw new CliException($"--{name} must be a number, got '{s}'.");
        if (v < min || v > max) throw new CliException($"--{name} must be in [{min}, {max}], got {v}.");
        return v;
    }

    /// <summary>One of a fixed set of words.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        string v = String(name, fallback)!;
        if (Array.IndexOf(allowed, v) < 0) throw new CliException($"--{name} must be one of {string.Join(", ", allowed)}, got '{v}'.");
        return v;
    }

    /// <summary>Throws when an option was given that no code asked for, or there are too many positionals.</summary>
    public void ThrowOnUnused(int maxPositional)
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new CliException($"unknown option{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(k => "--" + k))}. See --help.");
        if (Positional.Count > maxPositional)
            throw new CliException($"too many arguments: {string.Join(" ", Positional.Skip(maxPositional))}.");
    }
}
