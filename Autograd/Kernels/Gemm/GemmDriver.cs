using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>Which micro-kernel family GEMM runs; the best supported one unless a test forces a lower one.</summary>
internal enum GemmIsa { Scalar, Avx2, Avx512 }

/// <summary>
/// The BLIS-style blocked GEMM for one thread's share of C. Loop nest, outermost first:
/// rows of C in blocks of MC (packed A block lives in L3), k in blocks of KC, columns in blocks of NC
/// (packed KC×NC B block lives in L2), then MR-row A panels (stay in L1 while) NR-column B panels stream past.
/// </summary>
[SkipLocalsInit] // the edge-tile scratch is always fully written before it is read
internal static unsafe class GemmDriver<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Packing buffers are per thread (each thread packs its own share) and grow monotonically, so steady state allocates nothing.
    [ThreadStatic] private static T[]? _packA;
    [ThreadStatic] private static T[]? _packB;

    private const int CacheLine = 64;
    private const int L1PanelBytes = 12 * 1024;     // MR×KC A panel: a quarter of the 48 KB L1, the rest for streaming B
    private const int L2BlockBytes = 1024 * 1024;   // KC×NC B block: half of the 2 MB L2
    private const int L3BlockBytes = 2 * 1024 * 1024;
    private const int DirectBSpanBytes = 512 * 1024;

    /// <summary>The calling thread's A packing buffer (cache-line aligned, at least <paramref name="length"/> elements),
    /// for kernels that pack A outside <see cref="Run"/>; its contents are not kept between calls.</summary>
    public static T* PackABuffer(nint length) => Buffer(ref _packA, length);

    /// <summary>Micro-tile rows for the kernel family.</summary>
    public static int Mr(GemmIsa isa) => isa switch { GemmIsa.Avx512 => 8, GemmIsa.Avx2 => 6, _ => 4 };

    /// <summary>Micro-tile columns of the wide kernel.</summary>
    public static int Nr(GemmIsa isa) => isa switch { GemmIsa.Avx512 => 2 * Vector512<T>.Count, GemmIsa.Avx2 => 2 * Vector256<T>.Count, _ => 4 };

    /// <summary>Columns of the narrow kernel used for a ragged last column panel.</summary>
    public static int Narrow(GemmIsa isa) => isa switch { GemmIsa.Avx512 => Vector512<T>.Count, GemmIsa.Avx2 => Vector256<T>.Count, _ => 4 };

    /// <summary>C[m×n] (+)= op(A)·op(B) with leading dimensions; pointers are at element (0,0) of each operand.
    /// <paramref name="packedA"/> (or <paramref name="packedB"/>), when given, holds the whole of op(A) (op(B)) already
    /// packed by <see cref="PackARows"/> (<see cref="PackBColumns"/>) for this m, n, k, and that operand is not read.</summary>
    public static void Run(GemmIsa isa, bool transA, bool transB, int m, int n, int k,
        T* a, nint lda, T* b, nint ldb, T* c, nint ldc, bool accumulate, T* packedA = null, T* packedB = null)
    {
        int mr = Mr(isa), nr = Nr(isa), narrow = Narrow(isa);
        var (kc0, nc0, mc0) = Blocks(isa, m, n, k);

        T* packA = packedA != null ? null : Buffer(ref _packA, (nint)mc0 * kc0);
        T* packB = packedB != null ? null : Buffer(ref _packB, (nint)nc0 * kc0);
        T* tile = stackalloc T[8 * 32]; // ≥ MR×NR of every kernel family (8×32 floats is the largest)

        // Packing B pays off when many A panels reuse it. With few rows, reading full B panels in place is faster,
        // as long as one panel's rows (kc of them, ldb apart) span few enough pages for the TLB (measured: n=196 yes, n=500 no).
        // Not for up to 12 panels of AVX2 rows: its 16-float B rows are one cache line, which an ldb not a multiple of 16
        // splits in two on every row, and the six rows' reuse does not pay for that (measured in docs/BENCHMARKS.md, "The peak").
        bool direct = packedB == null && !transB
            && (m <= 4 * mr || (isa == GemmIsa.Avx512 && m <= 12 * mr && (long)kc0 * ldb * sizeof(T) <= DirectBSpanBytes));
        for (int ic = 0; ic < m; ic += mc0)
        {
            int mc = Math.Min(mc0, m - ic);
            for (int pc = 0; pc < k; pc += kc0)
            {
                int kc = Math.Min(kc0, k - pc);
                bool load = accumulate || pc > 0;
                T* aBlock = packedA != null ? packedA + PackedAOffset(mr, k, ic, mc, pc) : packA;
                if (packedA == null) Packing.PackA(transA ? a + pc * lda + ic : a + ic * lda + pc, lda, transA, mc, kc, mr, packA);
                for (int jc = 0; jc < n; jc += nc0)
                {
                    int nc = Math.Min(nc0, n - jc);
                    T* bBlock = transB ? b + jc * ldb + pc : b + pc * ldb + jc;
                    if (packedB != null)
                        Macro(isa, mc, nc, kc, aBlock, null, 0, packedB + PackedBOffset(isa, n, pc, jc, kc), c + ic * ldc + jc, ldc, load, tile);
                    else if (direct)
                    {
                        // Full panels are read in place; only the ragged last one is packed (zero padding keeps the kernel branch-free).
                        int full = nc - nc % nr;
                        if (full < nc) Packing.PackB(bBlock + full, ldb, false, kc, nc - full, nr, narrow, packB);
                        Macro(isa, mc, nc, kc, aBlock, bBlock, ldb, packB, c + ic * ldc + jc, ldc, load, tile);
                    }
                    else
                    {
                        Packing.PackB(bBlock, ldb, transB, kc, nc, nr, narrow, packB);
                        Macro(isa, mc, nc, kc, aBlock, null, 0, packB, c + ic * ldc + jc, ldc, load, tile);
                    }
                }
            }
        }
    }

    // Cache blocks: KC from k (the A panel fills its share of L1), NC from n (the B block half of L2), MC from m (the A
    // block in L3). Balanced blocks: 784 = 2×392 beats 384+384+16, whose thin last block would pay full C traffic for little work.
    private static (int Kc, int Nc, int Mc) Blocks(GemmIsa isa, int m, int n, int k)
    {
        int mr = Mr(isa), nr = Nr(isa);
        int kcMax = Math.Max(16, L1PanelBytes / (mr * sizeof(T)));
        int kc0 = DivUp(k, DivUp(k, kcMax));
        int ncMax = Math.Max(nr, L2BlockBytes / (kc0 * sizeof(T)) / nr * nr);
        int nc0 = RoundUp(DivUp(n, DivUp(n, ncMax)), nr);
        int mcMax = Math.Max(mr, L3BlockBytes / (kc0 * sizeof(T)) / mr * mr);
        int mc0 = RoundUp(DivUp(m, DivUp(m, mcMax)), mr);
        return (kc0, nc0, mc0);
    }

    // The whole of op(A) packed: MC blocks one after the other, each its KC blocks of ⌈mc/MR⌉ panels.
    private static nint PackedAOffset(int mr, int k, int ic, int mc, int pc) => (nint)ic * k + (nint)RoundUp(mc, mr) * pc;

    // The whole of op(B) packed: one slab per KC block, each all columns' panels (the last may be the narrow width).
    private static nint PackedBOffset(GemmIsa isa, int n, int pc, int jc, int kc) => (nint)pc * PaddedWidth(isa, n) + (nint)jc * kc;

    private static int PaddedWidth(GemmIsa isa, int n)
    {
        int nr = Nr(isa), ragged = n % nr;
        return n - ragged + (ragged == 0 ? 0 : ragged <= Narrow(isa) ? Narrow(isa) : nr);
    }

    /// <summary>Elements of the whole of op(A) packed for <see cref="Run"/>'s <c>packedA</c>.</summary>
    public static nint PackedALength(GemmIsa isa, int m, int k) => (nint)RoundUp(m, Mr(isa)) * k;

    /// <summary>Elements of the whole of op(B) packed for <see cref="Run"/>'s <c>packedB</c>.</summary>
    public static nint PackedBLength(GemmIsa isa, int n, int k) => (nint)PaddedWidth(isa, n) * k;

    /// <summary>Packs rows [<paramref name="first"/>, <paramref name="end"/>) of op(A), multiples of MR (end may be m),
    /// into the layout <see cref="Run"/> reads as <c>packedA</c>; disjoint row ranges may be packed by different threads.</summary>
    public static void PackARows(GemmIsa isa, bool transA, int m, int n, int k, T* a, nint lda, int first, int end, T* packed)
    {
        int mr = Mr(isa);
        var (kc0, _, mc0) = Blocks(isa, m, n, k);
        for (int ic = first / mc0 * mc0; ic < end; ic += mc0)
        {
            int mc = Math.Min(mc0, m - ic), from = Math.Max(first, ic), to = Math.Min(end, ic + mc);
            for (int pc = 0; pc < k; pc += kc0)
            {
                int kc = Math.Min(kc0, k - pc);
                T* dst = packed + PackedAOffset(mr, k, ic, mc, pc) + (nint)(from - ic) * kc;
                Packing.PackA(transA ? a + pc * lda + from : a + from * lda + pc, lda, transA, to - from, kc, mr, dst);
            }
        }
    }

    /// <summary>Packs columns [<paramref name="first"/>, <paramref name="end"/>) of op(B), multiples of NR (end may be n),
    /// into the layout <see cref="Run"/> reads as <c>packedB</c>; disjoint column ranges may be packed by different threads.</summary>
    public static void PackBColumns(GemmIsa isa, bool transB, int m, int n, int k, T* b, nint ldb, int first, int end, T* packed)
    {
        var (kc0, _, _) = Blocks(isa, m, n, k);
        for (int pc = 0; pc < k; pc += kc0)
        {
            int kc = Math.Min(kc0, k - pc);
            T* dst = packed + PackedBOffset(isa, n, pc, first, kc);
            Packing.PackB(transB ? b + first * ldb + pc : b + pc * ldb + first, ldb, transB, kc, end - first, Nr(isa), Narrow(isa), dst);
        }
    }

    // The two loops around the micro-kernel over one packed A block and one B block. B panels come from packB
    // (consecutive, each width×kc) or, when bDirect is set, full panels straight from B and only the ragged last from packB.
    private static void Macro(GemmIsa isa, int mc, int nc, int kc, T* packA, T* bDirect, nint ldb, T* packB, T* c, nint ldc, bool load, T* tile)
    {
        int mr = Mr(isa), nr = Nr(isa), narrow = Narrow(isa);
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* ap = packA + (nint)ir * kc;
            T* bp = packB;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                int width = cols <= narrow ? narrow : nr;
                T* bPanel = bp;
                nint bStride = width;
                if (bDirect != null && cols == nr) { bPanel = bDirect + jr; bStride = ldb; }
                else bp += (nint)width * kc;
                T* cp = c + ir * ldc + jr;
                if (rows == mr && cols == width) Kernel(isa, width == nr, kc, ap, bPanel, bStride, cp, ldc, load);
                else if (isa == GemmIsa.Avx512)
                {
                    // Only the real rows, written in place through column masks.
                    if (width == nr) EdgeKernels.Wide(rows, cols, kc, ap, bPanel, bStride, cp, ldc, load);
                    else EdgeKernels.Narrow(rows, cols, kc, ap, bPanel, bStride, cp, ldc, load);
                }
                else if (isa == GemmIsa.Avx2 && cols == width)
                    EdgeKernels.Avx2(rows, width == nr, kc, ap, bPanel, bStride, cp, ldc, load); // only the real rows, in place
                else
                {
                    // Ragged columns: run the tile into scratch (the padding is zeros) and merge only the valid part.
                    if (isa == GemmIsa.Avx2 && rows < mr) EdgeKernels.Avx2(rows, width == nr, kc, ap, bPanel, bStride, tile, width, false);
                    else Kernel(isa, width == nr, kc, ap, bPanel, bStride, tile, width, false);
                    for (int r = 0; r < rows; r++)
                        for (int x = 0; x < cols; x++)
                            cp[r * ldc + x] = load ? cp[r * ldc + x] + tile[r * width + x] : tile[r * width + x];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(GemmIsa isa, bool wide, int kc, T* a, T* b, nint ldb, T* c, nint ldc, bool load)
    {
        switch (isa)
        {
            case GemmIsa.Avx512:
                if (wide) MicroKernels.Avx512Wide(kc, a, b, ldb, c, ldc, load); else MicroKernels.Avx512Narrow(kc, a, b, ldb, c, ldc, load);
                break;
            case GemmIsa.Avx2:
                if (wide) MicroKernels.Avx2Wide(kc, a, b, ldb, c, ldc, load); else MicroKernels.Avx2Narrow(kc, a, b, ldb, c, ldc, load);
                break;
            default:
                MicroKernels.Scalar(kc, a, b, ldb, c, ldc, load);
                break;
        }
    }

    /// <summary>A packing buffer of at least <paramref name="length"/> elements in <paramref name="array"/> (grown when
    /// short): pinned (never moves, so a raw pointer stays valid) and aligned to a cache line so panel rows never straddle two.</summary>
    public static T* Buffer(ref T[]? array, nint length)
    {
        nint need = length + CacheLine / sizeof(T);
        if (array is null || array.Length < need)
            array = GC.AllocateUninitializedArray<T>((int)Math.Max(need, (array?.Length ?? 0) * 3L / 2), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        return (T*)((address + CacheLine - 1) & ~(nint)(CacheLine - 1));
    }

    private static int DivUp(int x, int y) => (x + y - 1) / y;
    private static int RoundUp(int x, int multiple) => DivUp(x, multiple) * multiple;

    /// <summary>The fastest kernel family this CPU runs natively.</summary>
    public static GemmIsa BestIsa =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? GemmIsa.Avx512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmIsa.Avx2
        : GemmIsa.Scalar;
}
