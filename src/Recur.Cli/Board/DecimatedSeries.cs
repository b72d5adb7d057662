namespace Recur.Cli.Board;

/// <summary>
/// The points of one kind of metrics line (training or validation) with a bounded memory: each point is the mean of
/// <see cref="Stride"/> consecutive lines (its x, the iteration, and its t, the elapsed seconds, those of the last),
/// and when <see cref="Capacity"/> points are full, neighbouring pairs merge and the stride doubles. A
/// 1,000,000-line file thus keeps at most <see cref="Capacity"/> points per column, with the curve's shape.
/// </summary>
internal sealed class DecimatedSeries
{
    private readonly List<string> _names = [];
    private readonly List<double[]> _values = [];   // per column: (Capacity,) means of the finite values, NaN where none
    private readonly List<int[]> _counts = [];      // per column: (Capacity,) how many finite values each mean holds
    private readonly double[] _x, _t;               // (Capacity,) iteration and elapsed seconds of each point's last line
    private int _lines;                             // lines in the last point (it is open while _lines < Stride)

    /// <summary>A series of at most <paramref name="capacity"/> points (even, at least 2).</summary>
    public DecimatedSeries(int capacity)
    {
        if (capacity < 2 || capacity % 2 != 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "an even number, at least 2");
        Capacity = capacity;
        _x = new double[capacity];
        _t = new double[capacity];
    }

    /// <summary>The most points kept.</summary>
    public int Capacity { get; }

    /// <summary>Points held now (the last may be open: fewer lines than <see cref="Stride"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Lines per point.</summary>
    public int Stride { get; private set; } = 1;

    /// <summary>Lines added since the series was made.</summary>
    public long Lines { get; private set; }

    /// <summary>The value columns, in the order they first appeared.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The iteration of point <paramref name="i"/>.</summary>
    public double X(int i) => _x[i];

    /// <summary>The elapsed seconds of point <paramref name="i"/>.</summary>
    public double T(int i) => _t[i];

    /// <summary>The mean of column <paramref name="column"/> at point <paramref name="i"/>; NaN where its lines had none.</summary>
    public double Value(int column, int i) => _counts[column][i] > 0 ? _values[column][i] : double.NaN;

    /// <summary>Adds one line: its iteration, elapsed seconds and named values (non-finite ones are left out of the means).</summary>
    public void Add(double x, double t, IReadOnlyList<(string Name, double Value)> values)
    {
        if (Count == 0 || _lines == Stride)
        {
            if (Count == Capacity) Halve();
            for (int c = 0; c < _names.Count; c++) { _values[c][Count] = 0; _counts[c][Count] = 0; }
            Count++;
            _lines = 0;
        }
        int p = Count - 1;
        _x[p] = x;
        _t[p] = t;
        _lines++;
        Lines++;
        foreach (var (name, v) in values)
        {
            if (!double.IsFinite(v)) continue;
            int c = Column(name);
            int n = ++_counts[c][p];
            _values[c][p] += (v - _values[c][p]) / n;  // running mean
        }
    }

    private int Column(string name)
    {
        for (int c = 0; c < _names.Count; c++) if (_names[c] == name) return c;
        _names.Add(name);
        _values.Add(new double[Capacity]);
        _counts.Add(new int[Capacity]);
        return _names.Count - 1;
    }

    /// <summary>Merges points (2k, 2k+1) into k: the means weighted by their counts, x and t the later point's.</summary>
    private void Halve()
    {
        int half = Count / 2;
        for (int k = 0; k < half; k++)
        {
            int a = 2 * k, b = a + 1;
            _x[k] = _x[b];
            _t[k] = _t[b];
            for (int c = 0; c < _names.Count; c++)
            {
                double[] v = _values[c];
                int[] n = _counts[c];
                int total = n[a] + n[b];
                v[k] = total == 0 ? 0 : (v[a] * n[a] + v[b] * n[b]) / total;
                n[k] = total;
            }
        }
        Count = half;
        Stride *= 2;
    }
}
