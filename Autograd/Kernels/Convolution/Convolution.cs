using System.Diagnostics;

namespace Autograd.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch) and its two backward products, on the layouts of
/// <see cref="ConvGeometry"/>. Each sample and group is lowered to its column matrix (<see cref="Im2Col"/>) and runs
/// one packed GEMM: y_g [O/groups, OH·OW] = W_g [O/groups, K] · col [K, OH·OW] with K = (C/groups)·kH·kW.
/// Per-sample products were measured against lowering several samples into one wider GEMM, against an implicit GEMM
/// (one shifted product per kernel tap, no lowering) and against lowering onto a padded-width grid: on the network's
/// shapes the per-sample products were as fast or faster (see docs/BENCHMARKS.md). A 1×1 convolution with stride 1
/// and no padding needs no lowering: its input planes are the column matrix.
/// The caller passes scratch of the length the matching <c>…ScratchLength</c> method gives; nothing is allocated.
/// Sizes are asserted, not validated: the ops check shapes and name themselves.
/// </summary>
internal static class Convolution
{
    /// <summary>
    /// Scratch elements <see cref="Forward{T}"/> needs: one group's column matrix, then its padded planes. For full speed
    /// the scratch starts on a 64-byte boundary (pooled tensor storage does): the GEMM streams the column matrix in place,
    /// and a 64-byte load across two cache lines costs two.
    /// </summary>
    public static int ForwardScratchLength(in ConvGeometry g) => g.IsPointwise ? 0 : WholeLines(ColumnsLength(g)) + g.PaddedGroupLength;

    /// <summary>Scratch elements <see cref="BackwardData{T}"/> needs (the same two buffers, filled the other way).</summary>
    public static int BackwardDataScratchLength(in ConvGeometry g) => ForwardScratchLength(g);

    /// <summary>Scratch elements <see cref="BackwardWeight{T}"/> needs (the same two buffers as the forward).</summary>
    public static int BackwardWeightScratchLength(in ConvGeometry g) => ForwardScratchLength(g);

    /// <summary>y [N, O, OH, OW] = conv(x [N, C, H, W], weight [O, C/groups, kH, kW]) + bias [O] (an empty bias adds nothing).</summary>
    public static void Forward<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, weight.Length, y.Length, scratch.Length, ForwardScratchLength(g));
        Debug.Assert(bias.IsEmpty || bias.Length == g.OutChannels, "bias must be empty or [O]");
        int og = g.OutChannelsPerGroup, plane = g.OutPlane, inGroup = g.InChannelsPerGroup * g.InPlane, outGroup = og * plane;
        int weightGroup = og * g.PatchLength;
        Span<T> padded = PaddedPart(g, scratch), columns = ColumnsPart(g, scratch);
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                int sampleGroup = n * g.Groups + group;
                var xg = x.Slice(sampleGroup * inGroup, inGroup);
                var yg = y.Slice(sampleGroup * outGroup, outGroup);
                ReadOnlySpan<T> lowered = xg;
                if (!g.IsPointwise) { Im2Col.Lower(g, xg, padded, columns); lowered = columns; }
                // The bias is written first and the product added to it (measured as fast as carrying it through the
                // product as one more weight column against a row of ones).
                for (int o = 0; o < og && !bias.IsEmpty; o++) yg.Slice(o * plane, plane).Fill(bias[group * og + o]);
                Gemm.Multiply(false, false, og, plane, g.PatchLength, weight.Slice(group * weightGroup, weightGroup), lowered, yg,
                    accumulate: !bias.IsEmpty);
            }
    }

    /// <summary>dx [N, C, H, W] (+)= the gradient of the forward with respect to x, given dy [N, O, OH, OW].</summary>
    public static void BackwardData<T>(in ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, Span<T> scratch, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, dx.Length, weight.Length, dy.Length, scratch.Length, BackwardDataScratchLength(g));
        int inGroup = g.InChannelsPerGroup * g.InPlane, outGroup = g.OutChannelsPerGroup * g.OutPlane;
        int weightGroup = g.OutChannelsPerGroup * g.PatchLength;
        Span<T> padded = PaddedPart(g, scratch), columns = ColumnsPart(g, scratch);
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                int sampleGroup = n * g.Groups + group;
                var dyg = dy.Slice(sampleGroup * outGroup, outGroup);
                var dxg = dx.Slice(sampleGroup * inGroup, inGroup);
                var wg = weight.Slice(group * weightGroup, weightGroup);
                // d col = W_gᵀ · dy_g, then each column entry goes back to the input position it was read from.
                if (g.IsPointwise)
                    Gemm.Multiply(true, false, g.InChannelsPerGroup, g.OutPlane, g.OutChannelsPerGroup, wg, dyg, dxg, accumulate);
                else
                {
                    Gemm.Multiply(true, false, g.PatchLength, g.OutPlane, g.OutChannelsPerGroup, wg, dyg, columns, accumulate: false);
                    Im2Col.Raise(g, columns, padded, dxg, accumulate);
                }
            }
    }

    /// <summary>
    /// dWeight [O, C/groups, kH, kW] (+)= Σₙ dy_g · col(x)ᵀ and, unless <paramref name="dBias"/> is empty,
    /// dBias [O] (+)= the sum of dy over samples and positions.
    /// </summary>
    public static void BackwardWeight<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dWeight, Span<T> dBias,
        Span<T> scratch, bool accumulateWeight, bool accumulateBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, dWeight.Length, dy.Length, scratch.Length, BackwardWeightScratchLength(g));
        Debug.Assert(dBias.IsEmpty || dBias.Length == g.OutChannels, "dBias must be empty or [O]");
        int inGroup = g.InChannelsPerGroup * g.InPlane, outGroup = g.OutChannelsPerGroup * g.OutPlane;
        int weightGroup = g.OutChannelsPerGroup * g.PatchLength;
        Span<T> padded = PaddedPart(g, scratch), columns = ColumnsPart(g, scratch);
        if (g.Batch == 0 && !accumulateWeight) dWeight[..g.WeightLength].Clear();
        if (!dBias.IsEmpty && !accumulateBias) dBias[..g.OutChannels].Clear();
        int plane = g.OutPlane;
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                int sampleGroup = n * g.Groups + group;
                var xg = x.Slice(sampleGroup * inGroup, inGroup);
                var dyg = dy.Slice(sampleGroup * outGroup, outGroup);
                ReadOnlySpan<T> lowered = xg;
                if (!g.IsPointwise) { Im2Col.Lower(g, xg, padded, columns); lowered = columns; }
                Gemm.Multiply(false, true, g.OutChannelsPerGroup, g.PatchLength, plane, dyg, lowered,
                    dWeight.Slice(group * weightGroup, weightGroup), accumulate: accumulateWeight || n > 0);
                // Summed right after the product, while this sample's dy is still in cache.
                if (!dBias.IsEmpty)
                    for (int o = 0; o < g.OutChannelsPerGroup; o++)
                        dBias[group * g.OutChannelsPerGroup + o] += TensorPrimitives.Sum(dyg.Slice(o * plane, plane));
            }
    }

    // Scratch layout: one group's column matrix, then its padded planes starting on a whole cache line; neither exists
    // for a pointwise convolution.
    private static Span<T> ColumnsPart<T>(scoped in ConvGeometry g, Span<T> scratch) => g.IsPointwise ? default : scratch[..ColumnsLength(g)];

    private static Span<T> PaddedPart<T>(scoped in ConvGeometry g, Span<T> scratch) =>
        g.IsPointwise ? default : scratch.Slice(WholeLines(ColumnsLength(g)), g.PaddedGroupLength);

    private static int ColumnsLength(in ConvGeometry g) => g.PatchLength * g.OutPlane;

    // Rounded up to 16 elements (one cache line of floats, two of doubles), so that what follows starts on a line too.
    private static int WholeLines(int elements) => (elements + 15) / 16 * 16;

    [Conditional("DEBUG")]
    private static void AssertSizes(in ConvGeometry g, int input, int weight, int output, int scratch, int scratchNeeded)
    {
        Debug.Assert(g.IsValid, $"invalid geometry {g}");
        Debug.Assert(input >= g.InputLength && weight >= g.WeightLength && output >= g.OutputLength, $"spans too short for {g}");
        Debug.Assert(scratch >= scratchNeeded, $"scratch of {scratch} is shorter than {scratchNeeded} for {g}");
    }
}
