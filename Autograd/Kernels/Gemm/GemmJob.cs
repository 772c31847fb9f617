namespace Autograd.Kernels;

/// <summary>Which kernel the stripes of a multi-threaded product run: the same one a single thread would pick for the whole shape.</summary>
internal enum StripeKernel { Blocked, BroadcastTiles, DotTiles }

/// <summary>
/// One multi-threaded GEMM call: C is cut into stripes of rows or columns and every stripe runs the kernel the
/// single-threaded call would run on the whole of C. Stripe edges fall on that kernel's tile grid (MR rows or NR columns
/// of the blocked driver, 4 rows or columns of the dot tiles), so every element of C is computed by the same
/// instructions in the same order as on one thread: the result has the same bits for any thread count. For the blocked
/// driver the operand every stripe reads in full (B for row stripes, A for column stripes) is packed once, in slices
/// by all threads, before the stripes run. The parts run on <see cref="KernelWorkers"/>; nothing is allocated per call
/// (the job and its shared packing buffer are per calling thread, reused).
/// </summary>
internal sealed unsafe class GemmJob<T> : ParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    // Cost of packing one element relative to one multiply-add (a copy; a transposing pack costs three times that).
    private const int PackWeight = 8;

    // Parts per thread. Parts are claimed dynamically, so when a helper is descheduled mid-call (a busy machine) the
    // caller takes over all but the helper's current part instead of waiting for half the product; the stripes share
    // the packed operand, so a finer cut re-packs nothing.
    private const int PartsPerThread = 4;

    [ThreadStatic] private static GemmJob<T>? _current;

    private StripeKernel _kernel;
    private bool _packing;        // the first round of a blocked call: threads pack slices of the shared operand
    private T[]? _sharedArray;
    private T* _shared;
    private GemmIsa _isa;
    private bool _transA, _transB, _accumulate, _splitRows, _alignA;
    private int _m, _n, _k, _parts, _unit;
    private T* _a, _b, _c;
    private nint _lda, _ldb;

    /// <summary>Runs the product on up to <paramref name="threads"/> stripes; false when C is too small to cut.</summary>
    public static bool TryRun(StripeKernel kernel, GemmIsa isa, int threads, bool transA, bool transB, int m, int n, int k,
        T* a, nint lda, T* b, nint ldb, T* c, bool accumulate)
    {
        threads = Math.Min(threads, KernelWorkers.HelperCount + 1);
        int rowUnit, colUnit;
        long rowPack, colPack;
        switch (kernel)
        {
            case StripeKernel.Blocked:
                // Each stripe packs its share of the operand every stripe reads (B, k×n, for row stripes; A, m×k, for
                // column stripes) and the whole of its own slice of the other; the shared share is the cheaper side.
                rowUnit = GemmDriver<T>.Mr(isa); colUnit = GemmDriver<T>.Nr(isa);
                rowPack = PackWeight * (transB ? 3L : 1L) * k * n / threads; colPack = PackWeight * (transA ? 1L : 3L) * m * k / threads;
                break;
            case StripeKernel.DotTiles:
                rowUnit = colUnit = 4; rowPack = colPack = 0;   // nothing is packed
                break;
            default:
                // Column stripes read B in place; row stripes of a non-transposed A each pack their own rows only.
                rowUnit = 1; colUnit = System.Runtime.Intrinsics.Vector512<T>.Count; rowPack = colPack = 0;
                break;
        }
        int rowParts = Math.Min(threads, m / rowUnit), colParts = Math.Min(threads, n / colUnit);
        if (rowParts < 2 && colParts < 2) return false;
        // The smaller estimated critical path: the largest stripe's multiply-adds (padded to tiles) plus the duplicate packing.
        long rowCost = rowParts < 2 ? long.MaxValue : (long)LargestStripe(m, rowParts, rowUnit) * RoundUp(n, colUnit) * k + rowPack;
        long colCost = colParts < 2 ? long.MaxValue : (long)RoundUp(m, rowUnit) * LargestStripe(n, colParts, colUnit) * k + colPack;

        var job = _current ??= new GemmJob<T>();
        job._kernel = kernel;
        job._splitRows = rowCost <= colCost;
        job._unit = job._splitRows ? rowUnit : colUnit;
        job._parts = Math.Min((job._splitRows ? m : n) / job._unit, threads * PartsPerThread);
        job._alignA = DotTiles.AlignA(m, n);   // the whole product's choice, so that stripes load exactly as one call would
        job._isa = isa; job._transA = transA; job._transB = transB; job._accumulate = accumulate;
        job._m = m; job._n = n; job._k = k;
        job._a = a; job._b = b; job._c = c; job._lda = lda; job._ldb = ldb;
        if (kernel == StripeKernel.Blocked)
        {
            // Two rounds: every thread packs a slice of the shared operand, then (the end of the first round is the
            // barrier) every stripe runs against the whole packed operand.
            nint length = job._splitRows ? GemmDriver<T>.PackedBLength(isa, n, k) : GemmDriver<T>.PackedALength(isa, m, k);
            job._shared = GemmDriver<T>.Buffer(ref job._sharedArray, length);
            job._packing = true;
            KernelWorkers.Run(job, job._parts);
            job._packing = false;
        }
        KernelWorkers.Run(job, job._parts);
        return true;
    }

    public override void RunPart(int part)
    {
        if (_packing)
        {
            // Row stripes share B, packed in column slices of whole NR panels; column stripes share A, in row slices of MR.
            if (_splitRows)
                GemmDriver<T>.PackBColumns(_isa, _transB, _m, _n, _k, _b, _ldb, Boundary(_n, _parts, GemmDriver<T>.Nr(_isa), part),
                    Boundary(_n, _parts, GemmDriver<T>.Nr(_isa), part + 1), _shared);
            else
                GemmDriver<T>.PackARows(_isa, _transA, _m, _n, _k, _a, _lda, Boundary(_m, _parts, GemmDriver<T>.Mr(_isa), part),
                    Boundary(_m, _parts, GemmDriver<T>.Mr(_isa), part + 1), _shared);
            return;
        }
        int extent = _splitRows ? _m : _n;
        int start = Boundary(extent, _parts, _unit, part), count = Boundary(extent, _parts, _unit, part + 1) - start;
        if (count == 0) return;   // rounding to whole units can leave a part empty
        int m = _splitRows ? count : _m, n = _splitRows ? _n : count;
        T* a = !_splitRows ? _a : _transA ? _a + start : _a + start * _lda;
        T* b = _splitRows ? _b : _transB ? _b + start * _ldb : _b + start;
        T* c = _splitRows ? _c + (nint)start * _n : _c + start;
        switch (_kernel)
        {
            case StripeKernel.Blocked:
                GemmDriver<T>.Run(_isa, _transA, _transB, m, n, _k, a, _lda, b, _ldb, c, _n, _accumulate,
                    packedA: _splitRows ? null : _shared, packedB: _splitRows ? _shared : null);
                break;
            case StripeKernel.DotTiles:
                DotTiles.Run(m, n, _k, a, _lda, b, _ldb, c, _n, 1, _accumulate, _alignA);
                break;
            default:
                BroadcastTiles.Run(_transA, m, n, _k, a, _lda, b, _ldb, c, _n, _accumulate);
                break;
        }
    }

    // Stripe edges are the even split rounded to the nearest whole unit (196 columns, 32-wide: 96 + 100); the last ends at extent.
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
