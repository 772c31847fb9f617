using System.Runtime.ExceptionServices;

namespace Autograd.Kernels;

/// <summary>
/// One multi-threaded GEMM call: C is cut into one stripe of rows or columns per thread (whole micro-tiles each)
/// and every stripe runs the serial driver with its own packing buffers. Stripes are independent and claimed
/// dynamically: the calling thread works too and takes over any stripe no pool thread has started, so the call
/// completes even if the pool is busy. Nothing is allocated per call: the job, its helper work items and the event
/// are per calling thread and reused. A helper that runs late, after its call finished, may meet a later call's job:
/// the claim word carries the call's generation and stripe count, so it either claims a stripe of the call that is
/// running (legitimately) or none.
/// </summary>
internal sealed unsafe class GemmJob<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Cost of packing one element relative to one multiply-add (a copy; a transposing pack costs three times that).
    private const int PackWeight = 8;

    [ThreadStatic] private static GemmJob<T>? _current;

    private readonly Helper[] _helpers;
    private readonly ManualResetEventSlim _done = new(false);
    // Claim word: generation << 32 | stripe count << 16 | next unclaimed stripe. Changed only by compare-exchange.
    private long _claims;
    private long _generation;
    private int _pending;
    private Exception? _error;

    private GemmIsa _isa;
    private bool _transA, _transB, _accumulate, _splitRows;
    private int _m, _n, _k, _parts, _unit;
    private T* _a, _b, _c;
    private nint _lda, _ldb;

    /// <summary>Runs the product on <paramref name="threads"/> stripes; false when C is too small to cut.</summary>
    public static bool TryRun(GemmIsa isa, int threads, bool transA, bool transB, int m, int n, int k,
        T* a, nint lda, T* b, nint ldb, T* c, bool accumulate)
    {
        // Row stripes are whole MR tiles, column stripes whole vectors. Each stripe re-packs the whole of the other
        // operand, so pick the cut with the smaller estimated critical path: the largest stripe's multiply-adds
        // (padded to tiles) plus that duplicate packing (B, k×n, for row stripes; A, m×k, for column stripes).
        int mr = GemmDriver<T>.Mr(isa), vector = GemmDriver<T>.Narrow(isa);
        int rowParts = Math.Min(threads, m / mr), colParts = Math.Min(threads, n / vector);
        if (rowParts < 2 && colParts < 2) return false;
        long rowCost = rowParts < 2 ? long.MaxValue
            : (long)LargestStripe(m, rowParts, mr) * RoundUp(n, vector) * k + PackWeight * (transB ? 3L : 1L) * k * n;
        long colCost = colParts < 2 ? long.MaxValue
            : (long)RoundUp(m, mr) * LargestStripe(n, colParts, vector) * k + PackWeight * (transA ? 1L : 3L) * m * k;

        var job = _current ??= new GemmJob<T>();
        job._splitRows = rowCost <= colCost;
        job._parts = Math.Min(job._splitRows ? rowParts : colParts, job._helpers.Length + 1);
        job._unit = job._splitRows ? mr : vector;
        job._isa = isa; job._transA = transA; job._transB = transB; job._accumulate = accumulate;
        job._m = m; job._n = n; job._k = k;
        job._a = a; job._b = b; job._c = c; job._lda = lda; job._ldb = ldb;
        job.RunParts();
        return true;
    }

    private void RunParts()
    {
        _error = null;
        _pending = _parts;
        _done.Reset();
        long generation = ++_generation;
        // Publishing the claim word releases every field written above to whoever claims a stripe.
        Volatile.Write(ref _claims, generation << 32 | (long)_parts << 16);
        for (int h = 0; h < _parts - 1; h++)
        {
            _helpers[h].Generation = generation;
            ThreadPool.UnsafeQueueUserWorkItem(_helpers[h], preferLocal: false);
        }
        Work(generation);
        _done.Wait();
        if (_error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    // Claims and runs stripes of call `generation` until none is left.
    private void Work(long generation)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            int next = (int)(claims & 0xFFFF), parts = (int)((claims >> 16) & 0xFFFF);
            if (claims >> 32 != generation || next >= parts) return;
            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims) continue;
            // The claim succeeded, so this call is still waiting for the stripe and its fields are intact.
            try { RunStripe(next); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }

    private GemmJob()
    {
        // The caller runs one stripe itself, so at most ProcessorCount − 1 helpers are ever queued at once.
        _helpers = new Helper[Math.Max(1, Environment.ProcessorCount - 1)];
        for (int h = 0; h < _helpers.Length; h++) _helpers[h] = new Helper(this);
    }

    // A pool work item bound to one job; reused by every call, re-stamped with the call's generation when queued.
    private sealed class Helper(GemmJob<T> job) : IThreadPoolWorkItem
    {
        public long Generation;
        public void Execute() => job.Work(Volatile.Read(ref Generation));
    }

    private void RunStripe(int part)
    {
        int extent = _splitRows ? _m : _n;
        int start = Boundary(extent, _parts, _unit, part), count = Boundary(extent, _parts, _unit, part + 1) - start;
        if (_splitRows)
        {
            T* a = _transA ? _a + start : _a + start * _lda;
            GemmDriver<T>.Run(_isa, _transA, _transB, count, _n, _k, a, _lda, _b, _ldb, _c + (nint)start * _n, _n, _accumulate);
        }
        else
        {
            T* b = _transB ? _b + start * _ldb : _b + start;
            GemmDriver<T>.Run(_isa, _transA, _transB, _m, count, _k, _a, _lda, b, _ldb, _c + start, _n, _accumulate);
        }
    }

    // Stripe edges are the even split rounded to the nearest whole unit (196 columns, 16-wide: 96 + 100); the last ends at extent.
    private static int Boundary(int extent, int parts, int unit, int part) =>
        part >= parts ? extent : (int)(((long)extent * part / parts + unit / 2) / unit * unit);

    private static int LargestStripe(int extent, int parts, int unit)
    {
        int largest = 0;
        for (int p = 0; p < parts; p++)
            largest = Math.Max(largest, RoundUp(Boundary(extent, parts, unit, p + 1) - Boundary(extent, parts, unit, p), unit));
        return largest;
    }

    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;
}
