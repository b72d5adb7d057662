using System.Runtime.InteropServices;

namespace Recur.Bench;

/// <summary>Direct calls into the system OpenBLAS (Debian libopenblas0-pthread); bench only.</summary>
internal sealed unsafe class OpenBlas
{
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] Candidates =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "libopenblas.so.0",
    ];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setThreads;
    private readonly delegate* unmanaged<nint> _config;
    private readonly delegate* unmanaged<nint> _corename;

    private OpenBlas(nint lib, string path)
    {
        Path = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(lib, "cblas_sgemm");
        _setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "openblas_set_num_threads");
        _config = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "openblas_get_config");
        _corename = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "openblas_get_corename");
    }

    public string Path { get; }

    public string Config => Marshal.PtrToStringAnsi(_config()) ?? "?";

    public string CoreName => Marshal.PtrToStringAnsi(_corename()) ?? "?";

    public static OpenBlas? TryLoad()
    {
        foreach (var path in Candidates)
            if (NativeLibrary.TryLoad(path, out var lib)) return new OpenBlas(lib, path);
        return null;
    }

    public void SetThreads(int threads) => _setThreads(threads);

    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
        => _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
