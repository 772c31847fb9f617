using System.Diagnostics;

namespace Autograd.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch) and its two backward products, on the layouts of
/// <see cref="ConvGeometry"/>. Each group is lowered to its column matrix (<see cref="Im2Col"/>) and runs one packed
/// GEMM: y_g [O/groups, OH·OW] = W_g [O/groups, K] · col [K, OH·OW] with K = (C/groups)·kH·kW.
/// A product may take several samples at once (<see cref="SamplesPerProduct{T}"/>): their column matrices side by side,
/// [K, s·OH·OW], and their outputs (or the gathered dy) in a scratch block [O/groups, s·OH·OW] copied to (from) the
/// samples' planes, the bias added on the way; the input gradient does so (its transposed weight is then packed once
/// for s samples), the forward runs one sample per product (measured: no gain on the network's shapes). The weight
/// gradient of a wide patch lowers each sample transposed (<see cref="Im2Col.LowerTransposed{T}"/>), so that its
/// product reads both operands as stored instead of packing col through transposes; that of a short patch with stride 1
/// is a direct correlation (<see cref="SmallPatchWeightGradient"/>). Which samples share a product and
/// which lowering runs depend on the shape alone, never on the thread count. An implicit GEMM (one shifted product per
/// kernel tap) and lowering onto a padded-width grid were measured and not taken (docs/BENCHMARKS.md). A 1×1
/// convolution with stride 1 and no padding needs no lowering: its input planes are the column matrix.
/// The caller passes scratch of the length the matching <c>…ScratchLength</c> method gives; nothing is allocated.
/// Sizes are asserted, not validated: the ops check shapes and name themselves.
/// </summary>
internal static class Convolution
{
    /// <summary>The two products that can take several samples at once.</summary>
    internal enum Pass { Forward, InputGradient }

    // The input gradient lowers samples side by side until a product has this many columns (conv2's 196-position
    // plane: 4 samples; conv1's 784: one): its transposed weight is then packed once for all of them. The forward keeps
    // one sample per product: copying the outputs out of the block costs about what the wider product saves, and past
    // two samples the column matrix is too wide for the GEMM to read in place (measured, docs/BENCHMARKS.md).
    private const int InputGradientColumns = 784;

    // ... but the column matrix of one product's samples stays within this many bytes (a wide patch, say 512 channels
    // × 3×3 on a 7×7 plane, would otherwise lower tens of MB per product).
    private const long MaxColumnBytes = 4L << 20;

    // The weight gradient lowers transposed from this patch length on (conv2's K = 288 gains, conv1's K = 9 loses: its
    // product would be a 9-column C, all edge tile, where from col it takes the dot-product tiles; docs/BENCHMARKS.md).
    private const int TransposedMinPatch = 32;

    // 0 = not forced; tests force a count to compare grouped and per-sample products, and the ragged last group.
    [ThreadStatic] private static int _forcedSamplesPerProduct;

    /// <summary>Forces <see cref="SamplesPerProduct{T}"/> (a positive count, capped at the batch) for both passes on
    /// this thread; 0 goes back to the rule. For tests and measurements.</summary>
    internal static int ForcedSamplesPerProduct { get => _forcedSamplesPerProduct; set => _forcedSamplesPerProduct = value; }

    /// <summary>How many samples share one product of <paramref name="pass"/>: 1 to the batch; always 1 for a pointwise
    /// convolution, whose planes are read in place.</summary>
    public static unsafe int SamplesPerProduct<T>(in ConvGeometry g, Pass pass) where T : unmanaged
    {
        if (g.IsPointwise) return 1;
        int wanted = _forcedSamplesPerProduct;
        if (wanted == 0)
        {
            wanted = pass == Pass.InputGradient ? (InputGradientColumns + g.OutPlane - 1) / g.OutPlane : 1;
            wanted = (int)Math.Min(wanted, MaxColumnBytes / Math.Max(1L, (long)g.PatchLength * g.OutPlane * sizeof(T)));
        }
        return Math.Clamp(wanted, 1, Math.Max(1, g.Batch));
    }

    /// <summary>
    /// Scratch elements <see cref="Forward{T}"/> needs: the column matrix of one product's samples, then (with more than
    /// one sample per product) their output block [O/groups, s·OH·OW], then one group's padded planes. For full speed
    /// the scratch starts on a 64-byte boundary (pooled tensor storage does): the GEMM streams the column matrix in
    /// place, and a 64-byte load across two cache lines costs two.
    /// </summary>
    public static int ForwardScratchLength<T>(in ConvGeometry g) where T : unmanaged => GroupedScratchLength(g, SamplesPerProduct<T>(g, Pass.Forward));

    /// <summary>Scratch elements <see cref="BackwardData{T}"/> needs (the same buffers as the forward, for its samples
    /// per product, filled the other way).</summary>
    public static int BackwardDataScratchLength<T>(in ConvGeometry g) where T : unmanaged => GroupedScratchLength(g, SamplesPerProduct<T>(g, Pass.InputGradient));

    /// <summary>Scratch elements <see cref="BackwardWeight{T}"/> needs: for a wide patch one sample's transposed column
    /// matrix, its interleaved input and, when the patch orders differ, the weight gradient in the lowering's order;
    /// else the forward's buffers for one sample.</summary>
    public static int BackwardWeightScratchLength<T>(in ConvGeometry g) where T : unmanaged =>
        !LowersTransposed(g) ? GroupedScratchLength(g, 1)
        : WholeLines(g.OutPlane * g.PatchLength) + WholeLines(Im2Col.InterleavedLength(g)) + (NeedsPermutedWeight(g) ? g.WeightLength : 0);

    /// <summary>y [N, O, OH, OW] = conv(x [N, C, H, W], weight [O, C/groups, kH, kW]) + bias [O] (an empty bias adds nothing).</summary>
    public static void Forward<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, weight.Length, y.Length, scratch.Length, ForwardScratchLength<T>(g));
        Debug.Assert(bias.IsEmpty || bias.Length == g.OutChannels, "bias must be empty or [O]");
        int og = g.OutChannelsPerGroup, plane = g.OutPlane, outGroup = og * plane, weightGroup = og * g.PatchLength;
        int perProduct = SamplesPerProduct<T>(g, Pass.Forward);
        var parts = new GroupedScratch<T>(g, perProduct, scratch);
        for (int first = 0; first < g.Batch; first += perProduct)
        {
            int samples = Math.Min(perProduct, g.Batch - first), width = samples * plane;
            for (int group = 0; group < g.Groups; group++)
            {
                var wg = weight.Slice(group * weightGroup, weightGroup);
                ReadOnlySpan<T> lowered = LowerSamples(g, x, first, samples, group, parts);
                if (samples == 1)
                {
                    // One sample writes its planes directly: the bias first, the product added to it (measured as fast
                    // as carrying it through the product as one more weight column against a row of ones).
                    var yg = y.Slice(SampleGroupOffset(g, first, group, outGroup), outGroup);
                    for (int o = 0; o < og && !bias.IsEmpty; o++) yg.Slice(o * plane, plane).Fill(bias[group * og + o]);
                    Gemm.Multiply(false, false, og, plane, g.PatchLength, wg, lowered, yg, accumulate: !bias.IsEmpty);
                    continue;
                }
                var block = parts.Block[..(og * width)];
                Gemm.Multiply(false, false, og, width, g.PatchLength, wg, lowered, block, accumulate: false);
                // Each sample's planes from the block, the bias added on the way (one pass, as the fill is for one sample).
                for (int s = 0; s < samples; s++)
                {
                    var yg = y.Slice(SampleGroupOffset(g, first + s, group, outGroup), outGroup);
                    for (int o = 0; o < og; o++)
                    {
                        var from = block.Slice(o * width + s * plane, plane);
                        var to = yg.Slice(o * plane, plane);
                        if (bias.IsEmpty) from.CopyTo(to);
                        else TensorPrimitives.Add(from, bias[group * og + o], to);
                    }
                }
            }
        }
    }

    /// <summary>dx [N, C, H, W] (+)= the gradient of the forward with respect to x, given dy [N, O, OH, OW].</summary>
    public static void BackwardData<T>(in ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, Span<T> scratch, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, dx.Length, weight.Length, dy.Length, scratch.Length, BackwardDataScratchLength<T>(g));
        int og = g.OutChannelsPerGroup, plane = g.OutPlane, inGroup = g.InChannelsPerGroup * g.InPlane, outGroup = og * plane;
        int weightGroup = og * g.PatchLength, perProduct = SamplesPerProduct<T>(g, Pass.InputGradient);
        var parts = new GroupedScratch<T>(g, perProduct, scratch);
        for (int first = 0; first < g.Batch; first += perProduct)
        {
            int samples = Math.Min(perProduct, g.Batch - first), width = samples * plane;
            for (int group = 0; group < g.Groups; group++)
            {
                var wg = weight.Slice(group * weightGroup, weightGroup);
                var gathered = GatherOutputs(g, dy, first, samples, group, parts.Block);
                if (g.IsPointwise)
                {
                    Gemm.Multiply(true, false, g.InChannelsPerGroup, plane, og, wg, gathered,
                        dx.Slice(SampleGroupOffset(g, first, group, inGroup), inGroup), accumulate);
                    continue;
                }
                // d col = W_gᵀ · dy_g, then each column entry goes back to the input position it was read from.
                Gemm.Multiply(true, false, g.PatchLength, width, og, wg, gathered, parts.Columns, accumulate: false);
                for (int s = 0; s < samples; s++)
                    Im2Col.Raise(g, parts.Columns[(s * plane)..], width, parts.Padded,
                        dx.Slice(SampleGroupOffset(g, first + s, group, inGroup), inGroup), accumulate);
            }
        }
    }

    /// <summary>
    /// dWeight [O, C/groups, kH, kW] (+)= Σₙ dy_g · col(x)ᵀ and, unless <paramref name="dBias"/> is empty,
    /// dBias [O] (+)= the sum of dy over samples and positions, one sample per product. A wide patch is lowered
    /// transposed, col(x)ᵀ [OH·OW, K] with the patch in (kh, kw, c) order, and the sum over the samples is permuted to
    /// the weight's (c, kh, kw) at the end (the same order when C/groups = 1 or the kernel is 1×1: the products then
    /// write dWeight directly). A short patch with stride 1 is correlated directly (<see cref="SmallPatchWeightGradient"/>)
    /// on AVX-512, and otherwise multiplied on its column matrix.
    /// </summary>
    public static void BackwardWeight<T>(in ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dWeight, Span<T> dBias,
        Span<T> scratch, bool accumulateWeight, bool accumulateBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        AssertSizes(g, x.Length, dWeight.Length, dy.Length, scratch.Length, BackwardWeightScratchLength<T>(g));
        Debug.Assert(dBias.IsEmpty || dBias.Length == g.OutChannels, "dBias must be empty or [O]");
        int og = g.OutChannelsPerGroup, plane = g.OutPlane, patch = g.PatchLength, weightGroup = og * patch;
        int inGroup = g.InChannelsPerGroup * g.InPlane, outGroup = og * plane;
        if (g.Batch == 0 && !accumulateWeight) dWeight[..g.WeightLength].Clear();
        if (!dBias.IsEmpty && !accumulateBias) dBias[..g.OutChannels].Clear();
        bool transposed = LowersTransposed(g), permute = transposed && NeedsPermutedWeight(g);
        var parts = new GroupedScratch<T>(g, transposed ? 0 : 1, scratch);
        Span<T> rows = default, interleaved = default, sums = dWeight;
        if (transposed)
        {
            int rowsLength = WholeLines(plane * patch), interleavedLength = WholeLines(Im2Col.InterleavedLength(g));
            rows = scratch[..(plane * patch)];
            interleaved = scratch.Slice(rowsLength, Im2Col.InterleavedLength(g));
            if (permute) sums = scratch.Slice(rowsLength + interleavedLength, g.WeightLength);
        }
        bool direct = CorrelatesWeight(g);
        if (direct && !accumulateWeight && g.Batch > 0) dWeight[..g.WeightLength].Clear();
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                var xg = x.Slice(SampleGroupOffset(g, n, group, inGroup), inGroup);
                var dyg = dy.Slice(SampleGroupOffset(g, n, group, outGroup), outGroup);
                var target = sums.Slice(group * weightGroup, weightGroup);
                bool accumulate = (accumulateWeight && !permute) || n > 0;
                if (transposed)
                {
                    Im2Col.LowerTransposed(g, xg, interleaved, rows);
                    Gemm.Multiply(false, false, og, patch, plane, dyg, rows, target, accumulate);
                }
                else if (direct) SmallPatchWeightGradient.Accumulate(g, Im2Col.Padded(g, xg, parts.Padded), dyg, target);
                else Gemm.Multiply(false, true, og, patch, plane, dyg, LowerSamples(g, x, n, 1, group, parts), target, accumulate);
                // Summed right after the product, while this sample's dy is still in cache.
                if (!dBias.IsEmpty)
                    for (int o = 0; o < og; o++)
                        dBias[group * og + o] += TensorPrimitives.Sum(dyg.Slice(o * plane, plane));
            }
        if (permute && g.Batch > 0) PermuteToWeight(g, sums, dWeight, accumulateWeight);
    }

    /// <summary>Whether the weight gradient is the direct correlation of <see cref="SmallPatchWeightGradient"/> (a short
    /// patch, stride 1, AVX-512) rather than a product on the column matrix.</summary>
    internal static bool CorrelatesWeight(in ConvGeometry g) => !LowersTransposed(g) && !g.IsPointwise && SmallPatchWeightGradient.Supports(g);

    /// <summary>Whether the weight gradient lowers each sample transposed (a wide patch) rather than to its column matrix.</summary>
    internal static bool LowersTransposed(in ConvGeometry g) => !g.IsPointwise && g.PatchLength >= TransposedMinPatch;

    // The transposed lowering's (kh, kw, c) patch order differs from the weight's (c, kh, kw) unless one of the two is 1.
    private static bool NeedsPermutedWeight(in ConvGeometry g) => g.InChannelsPerGroup > 1 && g.KernelHeight * g.KernelWidth > 1;

    // dWeight [O, C/groups, kH, kW] (+)= sums [O, kH, kW, C/groups].
    private static void PermuteToWeight<T>(in ConvGeometry g, ReadOnlySpan<T> sums, Span<T> dWeight, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = g.InChannelsPerGroup, taps = g.KernelHeight * g.KernelWidth, patch = g.PatchLength;
        for (int o = 0; o < g.OutChannels; o++)
        {
            var from = sums.Slice(o * patch, patch);
            var to = dWeight.Slice(o * patch, patch);
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < taps; t++)
                    to[c * taps + t] = accumulate ? to[c * taps + t] + from[t * channels + c] : from[t * channels + c];
        }
    }

    // The column matrix [K, s·OH·OW] of samples first … first + s − 1 of a group (sample j from column j·OH·OW), or the
    // sample's own planes for a pointwise convolution (always one sample per product).
    private static ReadOnlySpan<T> LowerSamples<T>(in ConvGeometry g, ReadOnlySpan<T> x, int first, int samples, int group, in GroupedScratch<T> parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inGroup = g.InChannelsPerGroup * g.InPlane, width = samples * g.OutPlane;
        if (g.IsPointwise) return x.Slice(SampleGroupOffset(g, first, group, inGroup), inGroup);
        for (int s = 0; s < samples; s++)
            Im2Col.Lower(g, x.Slice(SampleGroupOffset(g, first + s, group, inGroup), inGroup), parts.Padded, parts.Columns[(s * g.OutPlane)..], width);
        return parts.Columns[..(g.PatchLength * width)];
    }

    // dy of samples first … first + s − 1 of a group as one matrix [O/groups, s·OH·OW]: for one sample its own planes,
    // else copied side by side into the block.
    private static ReadOnlySpan<T> GatherOutputs<T>(in ConvGeometry g, ReadOnlySpan<T> dy, int first, int samples, int group, Span<T> block)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int og = g.OutChannelsPerGroup, plane = g.OutPlane, outGroup = og * plane, width = samples * plane;
        if (samples == 1) return dy.Slice(SampleGroupOffset(g, first, group, outGroup), outGroup);
        for (int s = 0; s < samples; s++)
        {
            var dyg = dy.Slice(SampleGroupOffset(g, first + s, group, outGroup), outGroup);
            for (int o = 0; o < og; o++) dyg.Slice(o * plane, plane).CopyTo(block.Slice(o * width + s * plane, plane));
        }
        return block[..(og * width)];
    }

    // Where group `group` of sample `n` starts in a [N, groups · channels per group, …] tensor of `groupLength` per group.
    private static int SampleGroupOffset(in ConvGeometry g, int n, int group, int groupLength) => (n * g.Groups + group) * groupLength;

    // The scratch of the column-matrix products for s samples each: their column matrix [K, s·OH·OW], their output block
    // [O/groups, s·OH·OW] (only for s > 1), then one sample's padded planes, each starting on a whole cache line; none
    // exists for a pointwise convolution.
    private static int GroupedScratchLength(in ConvGeometry g, int samples) =>
        g.IsPointwise ? 0 : WholeLines(g.PatchLength * g.OutPlane * samples) + WholeLines(BlockLength(g, samples)) + g.PaddedGroupLength;

    private static int BlockLength(in ConvGeometry g, int samples) => samples <= 1 ? 0 : g.OutChannelsPerGroup * g.OutPlane * samples;

    private readonly ref struct GroupedScratch<T>
    {
        public readonly Span<T> Columns, Block, Padded;

        // samples = 0: no parts (the transposed weight gradient lays out its own).
        public GroupedScratch(in ConvGeometry g, int samples, Span<T> scratch)
        {
            if (g.IsPointwise || samples == 0) return;
            int columns = g.PatchLength * g.OutPlane * samples, block = BlockLength(g, samples);
            Columns = scratch[..columns];
            Block = scratch.Slice(WholeLines(columns), block);
            Padded = scratch.Slice(WholeLines(columns) + WholeLines(block), g.PaddedGroupLength);
        }
    }

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
