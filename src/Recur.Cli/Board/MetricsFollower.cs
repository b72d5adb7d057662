namespace Recur.Cli.Board;

/// <summary>
/// Follows one run's <c>metrics.jsonl</c> as it grows: each <see cref="Update"/> reads only the bytes appended since the
/// last (a half-written last line waits for its newline; a malformed line is counted and skipped) into two
/// <see cref="DecimatedSeries"/>, so memory stays bounded however long the file gets. A file that shrinks, or whose
/// iterations go back (a resumed run rewrites it), is read again from its start. Thread-safe.
/// </summary>
internal sealed class MetricsFollower
{
    /// <summary>Points kept per series.</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>The longest line kept whole (longer ones are skipped as malformed).</summary>
    public const int MaxLineBytes = 1 << 20;

    private readonly Lock _gate = new();
    private readonly MetricsLine _line = new();
    private readonly byte[] _chunk = new byte[64 * 1024];
    private readonly int _capacity;
    private byte[] _partial = new byte[256];  // (_partialLength,) the start of a line whose newline has not come yet
    private int _partialLength;
    private bool _partialTooLong;
    private long _offset;                      // bytes of the file consumed
    private long _lastTrainIteration = -1;
    private readonly byte[] _tail = new byte[64];   // (_tailLength,) the last bytes consumed: if they change, the file was rewritten
    private int _tailLength;
    private bool _rereading;                   // this update already started the file again: iterations that go back are kept

    /// <summary>Follows the metrics file at <paramref name="path"/>, keeping <paramref name="capacity"/> points per series.</summary>
    public MetricsFollower(string path, int capacity = DefaultCapacity)
    {
        Path = path;
        _capacity = capacity;
        Train = new DecimatedSeries(capacity);
        Val = new DecimatedSeries(capacity);
    }

    /// <summary>The file followed.</summary>
    public string Path { get; }

    /// <summary>The training lines.</summary>
    public DecimatedSeries Train { get; private set; }

    /// <summary>The validation lines.</summary>
    public DecimatedSeries Val { get; private set; }

    /// <summary>Complete lines read (parsed or skipped).</summary>
    public long Lines { get; private set; }

    /// <summary>Lines skipped as malformed.</summary>
    public long Skipped { get; private set; }

    /// <summary>
    /// Bytes of lines read from the file over the follower's life (the test that each update reads only what is new); besides
    /// them, each update reads back at most 64 bytes before its start, to see that the file was not replaced.
    /// </summary>
    public long BytesRead { get; private set; }

    /// <summary>Grows by one whenever an update adds lines or starts the file again: a client that has seen it has everything.</summary>
    public long Version { get; private set; }

    /// <summary>The last validation line marked best: what it was chosen by, the value and its iteration; null before one.</summary>
    public (string By, double Value, long Iteration)? Best { get; private set; }

    /// <summary>The iteration and elapsed seconds of the last line read (-1 and NaN before one).</summary>
    public (long Iteration, double Elapsed) Last { get; private set; } = (-1, double.NaN);

    /// <summary>Whether the last line read was a validation line (a run that ended normally ends with one).</summary>
    public bool EndsWithValidation { get; private set; }

    /// <summary>The lock that <see cref="Train"/>, <see cref="Val"/> and the counts must be read under while others may update.</summary>
    public Lock Gate => _gate;

    /// <summary>Reads what was appended since the last call; true when anything new was read.</summary>
    public bool Update()
    {
        lock (_gate)
        {
            FileStream stream;
            try { stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
            using (stream)
            {
                long length = stream.Length;
                if (length < _offset || !TailUnchanged(stream)) Restart();
                if (length == _offset) return false;
                long before = Lines, version = Version;
                _rereading = false;
                stream.Position = _offset;
                int n;
                while ((n = stream.Read(_chunk, 0, _chunk.Length)) > 0)
                {
                    BytesRead += n;
                    if (!Consume(_chunk.AsSpan(0, n)))
                    {
                        Restart();       // the iterations went back: the file was rewritten; read it again from the start, once
                        _rereading = true;
                        stream.Position = 0;
                        continue;
                    }
                    _offset += n;
                }
                RememberTail(stream);
                if (Lines != before && Version == version) Version++;
                return Version != version;
            }
        }
    }

    /// <summary>Whether the last bytes consumed are still there (a file replaced by one as long or longer is caught here).</summary>
    private bool TailUnchanged(FileStream stream)
    {
        if (_tailLength == 0) return true;
        Span<byte> now = stackalloc byte[64];
        stream.Position = _offset - _tailLength;
        stream.ReadExactly(now[.._tailLength]);
        return now[.._tailLength].SequenceEqual(_tail.AsSpan(0, _tailLength));
    }

    private void RememberTail(FileStream stream)
    {
        _tailLength = (int)Math.Min(_tail.Length, _offset);
        stream.Position = _offset - _tailLength;
        stream.ReadExactly(_tail.AsSpan(0, _tailLength));
    }

    private void Restart()
    {
        _tailLength = 0;
        Train = new DecimatedSeries(_capacity);
        Val = new DecimatedSeries(_capacity);
        Lines = Skipped = 0;
        _offset = 0;
        _partialLength = 0;
        _partialTooLong = false;
        _lastTrainIteration = -1;
        Best = null;
        Last = (-1, double.NaN);
        EndsWithValidation = false;
        Version++;
    }

    /// <summary>Splits <paramref name="bytes"/> into lines (the tail kept for the next call); false when the file was rewritten.</summary>
    private bool Consume(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            int nl = bytes.IndexOf((byte)'\n');
            if (nl < 0) { Keep(bytes); return true; }
            bool ok;
            if (_partialLength > 0 || _partialTooLong)
            {
                Keep(bytes[..nl]);
                ok = _partialTooLong ? Skip() : Line(_partial.AsSpan(0, _partialLength));
                _partialLength = 0;
                _partialTooLong = false;
            }
            else ok = Line(bytes[..nl]);
            if (!ok) return false;
            bytes = bytes[(nl + 1)..];
        }
        return true;
    }

    private void Keep(ReadOnlySpan<byte> part)
    {
        if (_partialTooLong) return;
        if (_partialLength + part.Length > MaxLineBytes) { _partialTooLong = true; _partialLength = 0; return; }
        if (_partialLength + part.Length > _partial.Length) Array.Resize(ref _partial, Math.Max(_partial.Length * 2, _partialLength + part.Length));
        part.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += part.Length;
    }

    private bool Skip()
    {
        Lines++;
        Skipped++;
        return true;
    }

    /// <summary>One complete line; false when a training line's iteration is not past the last one's (the file was rewritten).</summary>
    private bool Line(ReadOnlySpan<byte> text)
    {
        if (text.Trim((byte)'\r').Trim((byte)' ').IsEmpty) return true;
        if (!_line.TryParse(text)) return Skip();
        Lines++;
        double x = _line.Iteration;
        if (_line.Type == "train")
        {
            if (!_rereading && _line.Iteration >= 0 && _line.Iteration <= _lastTrainIteration) return false;
            _lastTrainIteration = _line.Iteration;
            Train.Add(x, _line.Elapsed, _line.Values);
            EndsWithValidation = false;
        }
        else if (_line.Type == "val")
        {
            Val.Add(x, _line.Elapsed, _line.Values);
            if (_line.IsBest) Best = BestOf(_line);
            EndsWithValidation = true;
        }
        if (_line.Iteration >= 0) Last = (_line.Iteration, _line.Elapsed);
        return true;
    }

    private static (string, double, long)? BestOf(MetricsLine line)
    {
        string by = line.BestBy ?? "loss";
        string column = "val_" + by;
        foreach (var (name, v) in line.Values) if (name == column) return (by, v, line.Iteration);
        return null;
    }
}
