using System.Diagnostics;

namespace Recur.Kernels;

/// <summary>One unit of fork-join work: part <c>i</c> of <c>parts</c>.</summary>
internal interface IParallelPart
{
    void Execute(int part);
}

/// <summary>
/// A small fork-join pool for the kernels: the calling thread runs part 0 and parked worker threads
/// run parts 1..P-1. Workers spin briefly after each job (so back-to-back small GEMMs of an RNN time
/// loop do not pay an OS wake-up each), then block. Dispatch costs well under a microsecond when
/// the workers are spinning, against several for <c>Parallel.For</c>.
/// This process-wide instance is the one deliberate piece of static state in the kernels: it holds
/// threads, never data, and no result depends on it (if another caller is using it, the parts run
/// one after another on the calling thread, which gives the same bits).
/// </summary>
internal sealed class GemmWorkerPool
{
    private static readonly Lazy<GemmWorkerPool> SharedPool = new(() => new GemmWorkerPool());

    /// <summary>The process-wide pool.</summary>
    public static GemmWorkerPool Shared => SharedPool.Value;

    /// <summary>How long a worker keeps spinning for the next job before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 us

    private readonly object _grow = new();
    private Worker[] _workers = [];
    private int _busy;
    private int _remaining;
    private Exception? _error;

    /// <summary>Runs <paramref name="job"/> for parts <c>0..parts-1</c> and returns when all have finished.</summary>
    public void Run(int parts, IParallelPart job)
    {
        if (parts <= 1)
        {
            for (int i = 0; i < parts; i++) job.Execute(i);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            // Pool in use by another caller (or a nested call): same parts, run serially.
            for (int i = 0; i < parts; i++) job.Execute(i);
            return;
        }
        try
        {
            var workers = EnsureWorkers(parts - 1);
            _error = null;
            Volatile.Write(ref _remaining, parts - 1);
            for (int i = 1; i < parts; i++) workers[i - 1].Post(job, i);
            try
            {
                job.Execute(0);
            }
            finally
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref _remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
            }
            if (_error is { } e) throw new AggregateException("A GEMM worker failed.", e);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private Worker[] EnsureWorkers(int count)
    {
        var w = _workers;
        if (w.Length >= count) return w;
        lock (_grow)
        {
            if (_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(_workers, grown, _workers.Length);
                for (int i = _workers.Length; i < count; i++) grown[i] = new Worker(this, i + 1);
                _workers = grown;
            }
            return _workers;
        }
    }

    private void Done(Exception? error)
    {
        if (error is not null) Interlocked.CompareExchange(ref _error, error, null);
        Interlocked.Decrement(ref _remaining);
    }

    private sealed class Worker
    {
        private readonly GemmWorkerPool _pool;
        private readonly object _lock = new();
        private IParallelPart? _job;
        private int _part;
        private int _seq;
        private bool _sleeping;

        public Worker(GemmWorkerPool pool, int index)
        {
            _pool = pool;
            var t = new Thread(Loop) { IsBackground = true, Name = $"Recur GEMM worker {index}" };
            t.Start();
        }

        public void Post(IParallelPart job, int part)
        {
            lock (_lock)
            {
                _job = job;
                _part = part;
                _seq++;
                if (_sleeping) Monitor.Pulse(_lock);
            }
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _seq) == seen)
                {
                    if (Stopwatch.GetTimestamp() - start < SpinTicks)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }
                    lock (_lock)
                    {
                        while (_seq == seen)
                        {
                            _sleeping = true;
                            Monitor.Wait(_lock);
                            _sleeping = false;
                        }
                    }
                }
                IParallelPart job;
                int part;
                lock (_lock)
                {
                    seen = _seq;
                    job = _job!;
                    part = _part;
                    _job = null;
                }
                Exception? error = null;
                try
                {
                    job.Execute(part);
                }
                catch (Exception e)
                {
                    error = e;
                }
                _pool.Done(error);
            }
        }
    }
}
