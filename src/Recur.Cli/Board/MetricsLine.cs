using System.Text;
using System.Text.Json;

namespace Recur.Cli.Board;

/// <summary>
/// One line of <c>metrics.jsonl</c> read without building a document: its <c>type</c> (<c>train</c> or <c>val</c>),
/// <c>iter</c>, <c>elapsed_s</c>, <c>best</c>, <c>best_by</c> and its other numbers (<c>loss</c>, <c>val_loss</c>,
/// <c>val_accuracy</c>, ...). Property names are matched against those seen before, so a long file allocates no
/// string per line.
/// </summary>
internal sealed class MetricsLine
{
    private static readonly HashSet<string> NotPlotted = new(StringComparer.Ordinal) { "iter", "epoch", "elapsed_s", "eval_s", "lr" };
    private readonly List<(byte[] Utf8, string Name)> _known = [];
    private readonly List<(string Name, double Value)> _values = [];

    /// <summary>The line's <c>type</c>: "train", "val", or another word (kept for what it says; not plotted).</summary>
    public string Type { get; private set; } = "";

    /// <summary>The iteration (<c>iter</c>), or -1 when the line has none.</summary>
    public long Iteration { get; private set; }

    /// <summary>The run's elapsed seconds (<c>elapsed_s</c>), NaN when absent.</summary>
    public double Elapsed { get; private set; }

    /// <summary>Whether a validation line marks a new best (<c>"best": true</c>).</summary>
    public bool IsBest { get; private set; }

    /// <summary>What the run chooses its best by (<c>best_by</c>: "loss", "wer", "bleu_gap", ...), null when absent.</summary>
    public string? BestBy { get; private set; }

    /// <summary>The other numeric members, to plot.</summary>
    public IReadOnlyList<(string Name, double Value)> Values => _values;

    /// <summary>Reads <paramref name="utf8"/> (one line without its newline); false when it is not one JSON object with a type.</summary>
    public bool TryParse(ReadOnlySpan<byte> utf8)
    {
        Type = ""; Iteration = -1; Elapsed = double.NaN; IsBest = false; BestBy = null;
        _values.Clear();
        try
        {
            var r = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowTrailingCommas = false });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                string name = Name(ref r);
                if (!r.Read()) return false;
                switch (r.TokenType)
                {
                    case JsonTokenType.Number:
                        double v = r.GetDouble();
                        if (name == "iter") Iteration = (long)v;
                        else if (name == "elapsed_s") Elapsed = v;
                        else if (!NotPlotted.Contains(name)) _values.Add((name, v));
                        break;
                    case JsonTokenType.String:
                        if (name == "type") Type = Intern(r.ValueSpan);
                        else if (name == "best_by") BestBy = Intern(r.ValueSpan);
                        break;
                    case JsonTokenType.True: if (name == "best") IsBest = true; break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray: r.Skip(); break;
                }
            }
            if (r.TokenType != JsonTokenType.EndObject || r.Read()) return false; // cut short, or more after the object
            return Type.Length > 0;
        }
        catch (JsonException) { return false; }
        catch (InvalidOperationException) { return false; }  // a number too large for a double, a string where a number was read
    }

    private string Name(ref Utf8JsonReader r) => r.HasValueSequence || r.ValueIsEscaped ? r.GetString()! : Intern(r.ValueSpan);

    /// <summary>The string of <paramref name="utf8"/>, shared with earlier lines that had the same bytes.</summary>
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        foreach (var (bytes, name) in _known) if (utf8.SequenceEqual(bytes)) return name;
        string s = Encoding.UTF8.GetString(utf8);
        if (_known.Count < 256) _known.Add((utf8.ToArray(), s));
        return s;
    }
}
