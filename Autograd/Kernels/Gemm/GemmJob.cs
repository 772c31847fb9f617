namespace Autograd.Kernels;

/// <summary>
/// One multi-threaded GEMM call: C is cut into one stripe of rows or columns per thread (whole micro-tiles each)
/// and every stripe runs the serial driver with its own packing buffers. Stripes are independent, so no thread
/// ever waits on another mid-call (safe even if the pool runs the parts one after another). A per-thread instance
/// with a cached delegate means a call allocates nothing of its own (Parallel.For still allocates a little).
/// </summary>
internal sealed unsafe class GemmJob<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Cost of packing one element relative to one multiply-add (a copy; a transposing pack costs three times that).
    private const int PackWeight = 8;

    [ThreadStatic] private static GemmJob<T>? _current;

    private readonly Action<int> _body;
    private GemmIsa _isa;
    private bool _transA, _transB, _accumulate, _splitRows;
    private int _m, _n, _k, _parts, _unit;
    private T* _a, _b, _c;
    private nint _lda, _ldb;

    private GemmJob() => _body = RunStripe;

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
        job._parts = job._splitRows ? rowParts : colParts;
        job._unit = job._splitRows ? mr : vector;
        job._isa = isa; job._transA = transA; job._transB = transB; job._accumulate = accumulate;
        job._m = m; job._n = n; job._k = k;
        job._a = a; job._b = b; job._c = c; job._lda = lda; job._ldb = ldb;
        Parallel.For(0, job._parts, Threading.Options, job._body);
        return true;
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
