using Autograd.Kernels;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The GEMM packing routines (<see cref="Packing"/>) against the panel layout written out element by element: both
/// transposes, float and double, panel widths of every kernel family (AVX-512 8 and 16/32, AVX2 6 and 8/16, scalar 4)
/// and the odd widths of the broadcast tiles, ragged row and column counts, and k around the 8×8 transpose blocks.
/// The destination starts as NaN (the zero padding must be written) and is followed by sentinels (the 8-lane stores
/// that overlap in panels narrower than 8 must not spill past the last panel). Run under DOTNET_EnableAVX512=0 and
/// DOTNET_EnableHWIntrinsic=0 too: the vector paths are chosen by what the CPU supports.
/// </summary>
public class GemmPackingTests
{
    private static readonly int[] Widths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 32];
    private static readonly int[] Counts = [1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 65];

    public static IEnumerable<TestCaseData> WidthCases()
    {
        foreach (int width in Widths)
            foreach (bool trans in new[] { false, true })
                yield return new TestCaseData(width, trans).SetArgDisplayNames($"width={width} {(trans ? "T" : "N")}");
    }

    [TestCaseSource(nameof(WidthCases))]
    public void PackAMatchesPanelLayout(int mr, bool transA)
    {
        // Rows: less than one panel, exactly one, several with and without a ragged last panel.
        foreach (int mc in new[] { 1, mr, 2 * mr + 1, 3 * mr, 5 * mr - 1 }.Where(v => v > 0).Distinct())
            foreach (int kc in Counts)
            {
                CheckPackA<float>(transA, mc, kc, mr, seed: mc * 31 + kc);
                CheckPackA<double>(transA, mc, kc, mr, seed: mc * 37 + kc);
            }
    }

    [TestCaseSource(nameof(WidthCases))]
    public void PackBMatchesPanelLayout(int nr, bool transB)
    {
        // Narrow: the width of the last panel when at most that many columns are left (half the panel, or the panel itself).
        foreach (int narrow in new[] { Math.Max(1, nr / 2), nr }.Distinct())
            foreach (int nc in new[] { 1, narrow, narrow + 1, nr, 2 * nr + 1, 3 * nr + narrow, 4 * nr - 1 }.Where(v => v > 0).Distinct())
                foreach (int kc in Counts)
                {
                    CheckPackB<float>(transB, kc, nc, nr, narrow, seed: nc * 29 + kc);
                    CheckPackB<double>(transB, kc, nc, nr, narrow, seed: nc * 41 + kc);
                }
    }

    private static unsafe void CheckPackA<T>(bool transA, int mc, int kc, int mr, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // op(A) is mc×kc; stored kc×mc when transposed, else mc×kc, with 3 spare elements per stored row.
        int storedRows = transA ? kc : mc, storedCols = transA ? mc : kc, lda = storedCols + 3;
        var a = Values<T>(storedRows * lda, seed);
        int panels = (mc + mr - 1) / mr, length = panels * mr * kc;
        var dst = Destination<T>(length);
        fixed (T* pa = a, pd = dst) Packing.PackA(pa, lda, transA, mc, kc, mr, pd);
        for (int panel = 0; panel < panels; panel++)
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++)
                {
                    int i = panel * mr + r;
                    T expected = i < mc ? (transA ? a[p * lda + i] : a[i * lda + p]) : T.Zero;
                    T got = dst[panel * mr * kc + p * mr + r];
                    if (got != expected)
                        Assert.Fail($"{typeof(T).Name} PackA {(transA ? "T" : "N")} mc={mc} kc={kc} mr={mr}: panel {panel}, p={p}, row {r} is {got}, expected {expected}");
                }
        CheckSentinels(dst, length, $"{typeof(T).Name} PackA {(transA ? "T" : "N")} mc={mc} kc={kc} mr={mr}");
    }

    private static unsafe void CheckPackB<T>(bool transB, int kc, int nc, int nr, int narrow, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // op(B) is kc×nc; stored nc×kc when transposed, else kc×nc, with 3 spare elements per stored row.
        int storedRows = transB ? nc : kc, storedCols = transB ? kc : nc, ldb = storedCols + 3;
        var b = Values<T>(storedRows * ldb, seed);
        int ragged = nc % nr, length = (nc - ragged + (ragged == 0 ? 0 : ragged <= narrow ? narrow : nr)) * kc;
        var dst = Destination<T>(length);
        fixed (T* pb = b, pd = dst) Packing.PackB(pb, ldb, transB, kc, nc, nr, narrow, pd);
        int offset = 0;
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0), width = cols <= narrow ? narrow : nr;
            for (int p = 0; p < kc; p++)
                for (int x = 0; x < width; x++)
                {
                    int j = j0 + x;
                    T expected = x < cols ? (transB ? b[j * ldb + p] : b[p * ldb + j]) : T.Zero;
                    T got = dst[offset + p * width + x];
                    if (got != expected)
                        Assert.Fail($"{typeof(T).Name} PackB {(transB ? "T" : "N")} kc={kc} nc={nc} nr={nr} narrow={narrow}: column {j}, p={p} is {got}, expected {expected}");
                }
            offset += width * kc;
        }
        CheckSentinels(dst, length, $"{typeof(T).Name} PackB {(transB ? "T" : "N")} kc={kc} nc={nc} nr={nr} narrow={narrow}");
    }

    private const int SentinelCount = 16;

    // NaN where the packed panels go (every element, padding included, must be written), sentinels after them.
    private static T[] Destination<T>(int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = new T[length + SentinelCount];
        dst.AsSpan(0, length).Fill(T.NaN);
        dst.AsSpan(length).Fill(T.CreateChecked(42));
        return dst;
    }

    private static void CheckSentinels<T>(T[] dst, int length, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = length; i < dst.Length; i++)
            Assert.That(dst[i], Is.EqualTo(T.CreateChecked(42)), $"{what}: element {i - length} past the panels was written");
    }

    // Distinct nonzero values, so a misplaced element or a missing zero pad cannot match by accident.
    private static T[] Values<T>(int length, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateChecked(i + 1 + rng.NextDouble() * 0.5);
        return values;
    }
}
