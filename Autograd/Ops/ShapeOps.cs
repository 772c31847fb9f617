using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Views: Reshape, Flatten and Slice share the input's storage (no copy). That is safe because recorded
    // tensors are never modified in place; their backward is a plain (sliced) gradient copy.

    /// <summary>
    /// The same elements in another shape of equal length, as a view (no copy). One dimension may be −1: it is inferred.
    /// </summary>
    public static Tensor<T> Reshape<T>(this Tensor<T> x, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ViewAs("Reshape", x, InferReshape(x.Shape, shape));
    }

    private static Shape InferReshape(Shape from, ReadOnlySpan<int> dims)
    {
        if (dims.Length > Shape.MaxRank)
            throw new ArgumentException($"Reshape: target {FormatIntList(dims)} has rank {dims.Length}, more than the maximum {Shape.MaxRank} (input {from}).");
        Span<int> d = stackalloc int[dims.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            d[i] = dims[i];
            if (dims[i] == -1)
            {
                if (inferred >= 0)
                    throw new ArgumentException($"Reshape: only one dimension may be −1, got {FormatIntList(dims)} (input {from}).");
                inferred = i;
            }
            else if (dims[i] < 0)
                throw new ArgumentException($"Reshape: dimension {i} of {FormatIntList(dims)} is {dims[i]}; use sizes ≥ 0 or −1 to infer one (input {from}).");
            else known = Math.Min(known * dims[i], int.MaxValue + 1L);  // saturate: anything above int.MaxValue mismatches anyway
        }
        if (inferred >= 0)
        {
            if (known == 0 || from.Length % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {from} ({from.Length} elements) into {FormatIntList(dims)}: " +
                                            $"{from.Length} is not a multiple of the other dimensions' product ({ProductText(known)}).");
            d[inferred] = (int)(from.Length / known);
        }
        else if (known != from.Length)
            throw new ArgumentException($"Reshape: cannot reshape {from} ({from.Length} elements) into {FormatIntList(dims)} ({ProductText(known)} elements).");
        return new Shape(d);

        // The product saturates just above int.MaxValue: say so rather than print the saturated value.
        static string ProductText(long known) => known > int.MaxValue ? $"more than {int.MaxValue}" : known.ToString();
    }

    /// <summary>Merges axes <paramref name="startAxis"/>… into one, as a view: [N, C, H, W] → [N, C·H·W] for the default 1.</summary>
    public static Tensor<T> Flatten<T>(this Tensor<T> x, int startAxis = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        int a = s.NormalizeAxis(startAxis, "Flatten");
        Span<int> d = stackalloc int[a + 1];
        s.Dimensions[..a].CopyTo(d);
        d[a] = s.Product(a, s.Rank);
        return ViewAs("Flatten", x, new Shape(d));
    }

    private static Tensor<T> ViewAs<T>(string op, Tensor<T> x, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = x.View(shape);
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record(op, y, PassThroughBackward, x);  // same flat layout: gx += gy
        return y;
    }

    /// <summary>Rows [<paramref name="start"/>, start + <paramref name="length"/>) along the first axis, as a view (no copy).</summary>
    public static Tensor<T> Slice<T>(this Tensor<T> x, int start, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0)
            throw new ArgumentException($"Slice: cannot slice a scalar (shape {x.Shape}); it has no first axis.");
        int rows = x.Shape[0];
        if (start < 0 || length < 0 || (long)start + length > rows)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: rows [{start}, {(long)start + length}) (start {start}, length {length}) are out of range for shape {x.Shape}, whose first axis has {rows} rows.");
        var y = x.ViewRows(start, length);
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Slice", y, SliceBackward, x).I0 = start;
        return y;
    }

    private static void SliceBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        var g = gx.Slice(e.I0 * e.A!.Shape.Product(1, e.A.Rank), gy.Length);
        InPlace.Add(g, gy);
    }

    // ---- Copies: Transpose, Permute, Concat

    /// <summary>Swaps two axes (by default the last two: a matrix transpose per batch). The result is a contiguous copy.</summary>
    public static Tensor<T> Transpose<T>(this Tensor<T> x, int axis0 = -2, int axis1 = -1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int a0 = x.Shape.NormalizeAxis(axis0, "Transpose"), a1 = x.Shape.NormalizeAxis(axis1, "Transpose");
        Span<int> perm = stackalloc int[x.Rank];
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        (perm[a0], perm[a1]) = (a1, a0);
        return PermuteRecorded("Transpose", x, perm);
    }

    /// <summary>
    /// Reorders the axes: output axis i is input axis <paramref name="axes"/>[i] (negative axes count from the end).
    /// The result is a contiguous copy.
    /// </summary>
    public static Tensor<T> Permute<T>(this Tensor<T> x, params int[] axes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(axes);
        int rank = x.Rank;
        if (axes.Length != rank)
            throw new ArgumentException($"Permute: {axes.Length} axes {FormatIntList(axes)} given for shape {x.Shape} of rank {rank}; need a permutation of 0..{rank - 1}.");
        Span<int> perm = stackalloc int[rank];
        Span<bool> seen = stackalloc bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if ((uint)a >= (uint)rank || seen[a])
                throw new ArgumentException($"Permute: axes {FormatIntList(axes)} are not a permutation of 0..{rank - 1} for shape {x.Shape} " +
                                            ((uint)a >= (uint)rank ? $"(axis {axes[i]} is out of range)." : $"(axis {axes[i]} appears twice)."));
            seen[a] = true;
            perm[i] = a;
        }
        return PermuteRecorded("Permute", x, perm);
    }

    private static Tensor<T> PermuteRecorded<T>(string op, Tensor<T> x, ReadOnlySpan<int> perm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Shape;
        Span<int> dims = stackalloc int[s.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = s.Dimensions[perm[i]];
        var y = Tensor<T>.Uninitialized(new Shape(dims));
        PermuteCopy(x.AsReadOnlySpan(), s, perm, y.AsSpan());
        // The permutation is packed into I0 (4 bits per axis, rank ≤ 8) so recording allocates nothing.
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record(op, y, PermuteBackward, x).I0 = PackAxes(perm);
        return y;
    }

    private static void PermuteBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        int rank = e.A!.Rank;
        Span<int> inverse = stackalloc int[rank];
        for (int i = 0; i < rank; i++) inverse[UnpackAxis(e.I0, i)] = i;
        using var t = Scratch<T>.Rent(gy.Length);
        PermuteCopy(gy, e.Output.Shape, inverse, t.Span);
        InPlace.Add(gx, t.Span);
    }

    private static int PackAxes(ReadOnlySpan<int> perm)
    {
        uint packed = 0;
        for (int i = 0; i < perm.Length; i++) packed |= (uint)perm[i] << (4 * i);
        return unchecked((int)packed);
    }

    private static int UnpackAxis(int packed, int i) => (int)((uint)packed >> (4 * i)) & 0xF;

    private const int TransposeBlock = 32;

    // dst (shape src dims permuted) = src permuted. Walks dst in order; the last two dst axes form a plane copied in
    // 32×32 tiles, so the strided side of a transpose stays in cache. Rows contiguous in both are copied whole.
    private static void PermuteCopy<T>(ReadOnlySpan<T> src, Shape srcShape, ReadOnlySpan<int> perm, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = srcShape.Rank;
        bool identity = true;
        for (int i = 0; i < rank; i++) identity &= perm[i] == i;
        if (identity) { src.CopyTo(dst); return; }

        Span<int> srcStride = stackalloc int[rank];
        for (int i = rank - 1, st = 1; i >= 0; i--) { srcStride[i] = st; st *= srcShape.Dimensions[i]; }
        Span<int> dims = stackalloc int[rank], stride = stackalloc int[rank], idx = stackalloc int[rank];
        for (int i = 0; i < rank; i++) { dims[i] = srcShape.Dimensions[perm[i]]; stride[i] = srcStride[perm[i]]; }

        int rows = dims[rank - 2], cols = dims[rank - 1], plane = rows * cols;
        if (plane == 0) return;
        int rowStride = stride[rank - 2], colStride = stride[rank - 1];
        int planes = srcShape.Length / plane, offset = 0;
        for (int p = 0; p < planes; p++)
        {
            var d = dst.Slice(p * plane, plane);
            if (colStride == 1)
                for (int r = 0; r < rows; r++) src.Slice(offset + r * rowStride, cols).CopyTo(d.Slice(r * cols, cols));
            else
                for (int r0 = 0; r0 < rows; r0 += TransposeBlock)
                {
                    int r1 = Math.Min(r0 + TransposeBlock, rows);
                    for (int c0 = 0; c0 < cols; c0 += TransposeBlock)
                    {
                        int c1 = Math.Min(c0 + TransposeBlock, cols);
                        for (int r = r0; r < r1; r++)
                        {
                            int s = offset + r * rowStride + c0 * colStride;
                            var drow = d.Slice(r * cols, c1);
                            for (int c = c0; c < c1; c++, s += colStride) drow[c] = src[s];
                        }
                    }
                }
            // odometer over the leading axes
            for (int ax = rank - 3; ax >= 0; ax--)
            {
                offset += stride[ax];
                if (++idx[ax] < dims[ax]) break;
                offset -= stride[ax] * dims[ax];
                idx[ax] = 0;
            }
        }
    }

    /// <summary>
    /// Joins tensors along <paramref name="axis"/>; every other dimension must match. Backward splits the gradient.
    /// </summary>
    public static Tensor<T> Concat<T>(int axis, params Tensor<T>[] xs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Length == 0) throw new ArgumentException("Concat: needs at least one tensor, got none.", nameof(xs));
        for (int i = 0; i < xs.Length; i++)
            if (xs[i] is null) throw new ArgumentNullException(nameof(xs), $"Concat: tensor {i} of {xs.Length} is null.");
        var first = xs[0].Shape;
        if (first.Rank == 0) throw new ArgumentException($"Concat: cannot concatenate scalars (tensor 0 has shape {first}); reshape them to [1] first.");
        int a = first.NormalizeAxis(axis, "Concat");
        long total = 0;
        bool record = false;
        for (int i = 0; i < xs.Length; i++)
        {
            var s = xs[i].Shape;
            if (s.Rank != first.Rank)
                throw new ArgumentException($"Concat: tensor {i} has shape {s} but tensor 0 has shape {first}; ranks differ.");
            for (int d = 0; d < s.Rank; d++)
                if (d != a && s.Dimensions[d] != first.Dimensions[d])
                    throw new ArgumentException($"Concat: tensor {i} has shape {s} but tensor 0 has shape {first}; all dimensions except " +
                                                $"the concatenation axis {a} must match (axis {d}: {s.Dimensions[d]} vs {first.Dimensions[d]}).");
            total += s.Dimensions[a];
            record |= xs[i].RequiresGrad;
        }
        if (total > Array.MaxLength) throw new ArgumentException($"Concat: the result along axis {a} would have {total} entries, too many.");
        var y = Tensor<T>.Uninitialized(first.With(a, (int)total, "Concat"));

        int outer = first.Product(0, a), inner = first.Product(a + 1, first.Rank), outRow = (int)total * inner, offset = 0;
        var dst = y.AsSpan();
        foreach (var x in xs)
        {
            int chunk = x.Shape.Dimensions[a] * inner;
            var src = x.AsReadOnlySpan();
            for (int o = 0; o < outer; o++) src.Slice(o * chunk, chunk).CopyTo(dst.Slice(o * outRow + offset, chunk));
            offset += chunk;
        }

        if (record && Grad.IsEnabled)
        {
            // Up to three inputs fit the entry's A/B/C; more go (copied: the caller may reuse its array) into Extra.
            ref var e = ref Tape<T>.Record("Concat", y, ConcatBackward, xs[0], xs.Length > 1 ? xs[1] : null, xs.Length > 2 ? xs[2] : null);
            e.I0 = a;
            if (xs.Length > 3) e.Extra = xs.Clone();
        }
        else Tape<T>.CheckForward("Concat", y);
        return y;
    }

    private static void ConcatBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var many = e.Extra as Tensor<T>[];
        int count = many?.Length ?? (e.C is not null ? 3 : e.B is not null ? 2 : 1);
        var outShape = e.Output.Shape;
        int a = e.I0;
        int outer = outShape.Product(0, a), inner = outShape.Product(a + 1, outShape.Rank), outRow = outShape.Dimensions[a] * inner, offset = 0;
        for (int i = 0; i < count; i++)
        {
            var x = many?[i] ?? (i == 0 ? e.A : i == 1 ? e.B : e.C)!;
            int chunk = x.Shape.Dimensions[a] * inner;
            if (Tape<T>.TryGrad(x, out var gx))
                for (int o = 0; o < outer; o++)
                {
                    var g = gx.Slice(o * chunk, chunk);
                    InPlace.Add(g, gy.Slice(o * outRow + offset, chunk));
                }
            offset += chunk;
        }
    }

    private static string FormatIntList(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
