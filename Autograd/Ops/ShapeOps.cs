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

    /// <summary>Removes axis <paramref name="axis"/>, which must have size 1, as a view: [N, 1, D] → [N, D] for axis 1.</summary>
    public static Tensor<T> Squeeze<T>(this Tensor<T> x, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException($"Squeeze: a scalar (shape {x.Shape}) has no axis to remove.");
        int a = x.Shape.NormalizeAxis(axis, "Squeeze");
        if (x.Shape.Dimensions[a] != 1)
            throw new ArgumentException($"Squeeze: axis {axis} of shape {x.Shape} has size {x.Shape.Dimensions[a]}; only a size-1 axis can be removed.");
        return ViewAs("Squeeze", x, x.Shape.Without(a));
    }

    /// <summary>Removes every size-1 axis, as a view: [1, 3, 1, 2] → [3, 2].</summary>
    public static Tensor<T> Squeeze<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.Shape;
        Span<int> d = stackalloc int[s.Rank];
        int rank = 0;
        foreach (int size in s.Dimensions) if (size != 1) d[rank++] = size;
        return ViewAs("Squeeze", x, new Shape(d[..rank]));
    }

    /// <summary>
    /// Inserts a size-1 axis at <paramref name="axis"/> of the result, as a view: [N, D] → [N, 1, D] for axis 1;
    /// axis may be −1 (a new last axis) down to −(rank + 1).
    /// </summary>
    public static Tensor<T> Unsqueeze<T>(this Tensor<T> x, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ViewAs("Unsqueeze", x, Unsqueezed("Unsqueeze", x.Shape, axis));
    }

    private static Shape Unsqueezed(string op, Shape s, int axis)
    {
        int rank = s.Rank + 1;
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for inserting an axis into shape {s} (valid: {-rank} to {rank - 1}).");
        if (rank > Shape.MaxRank)
            throw new ArgumentException($"{op}: inserting an axis into {s} would exceed the maximum rank {Shape.MaxRank}.");
        Span<int> d = stackalloc int[rank];
        for (int i = 0, j = 0; i < rank; i++) d[i] = i == a ? 1 : s.Dimensions[j++];
        return new Shape(d);
    }

    private static Tensor<T> ViewAs<T>(string op, Tensor<T> x, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = x.View(shape);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<PassThroughNode<T>>(op, y, x);  // same flat layout
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
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<NarrowNode<T>>("Slice", y, x);
            node.Axis = 0; node.Start = start;
        }
        return y;
    }

    /// <summary>
    /// Elements [<paramref name="start"/>, start + <paramref name="length"/>) along <paramref name="axis"/> (negative
    /// counts from the end). A view along the first axis (like <see cref="Slice{T}"/>), a copy along any other.
    /// </summary>
    public static Tensor<T> Narrow<T>(this Tensor<T> x, int axis, int start, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0)
            throw new ArgumentException($"Narrow: cannot narrow a scalar (shape {x.Shape}); it has no axes.");
        int a = x.Shape.NormalizeAxis(axis, "Narrow");
        int size = x.Shape.Dimensions[a];
        if (start < 0 || length < 0 || (long)start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Narrow: [{start}, {(long)start + length}) (start {start}, length {length}) is out of range for axis {axis} of shape {x.Shape}, which has size {size}.");
        if (a == 0) return x.Slice(start, length);
        var y = Tensor<T>.Uninitialized(x.Shape.With(a, length));
        MoveBlocks(x.AsReadOnlySpan(), y.AsSpan(), x.Shape, a, length, start, fromFull: true, add: false);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<NarrowNode<T>>("Narrow", y, x);
            node.Axis = a; node.Start = start;
        }
        else Autodiff<T>.CheckForward("Narrow", y);
        return y;
    }

    // narrow: grad placed at [start, start + length) of zeros of the input's shape
    private sealed class NarrowNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis, Start;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Widen(Axis, Start, Input(0).Shape.Dimensions[Axis]));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            MoveBlocks(gy, gx, Input(0).Shape, Axis, Output.Shape.Dimensions[Axis], Start, fromFull: false, add: true);
        }
    }

    // The inverse placement of Narrow (its gradient): x lies at [start, start + x's size) along axis of a zero tensor
    // whose axis has size `size`.
    private static Tensor<T> Widen<T>(this Tensor<T> x, int axis, int start, int size) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(x.Shape.With(axis, size));
        y.AsSpan().Clear();
        MoveBlocks(x.AsReadOnlySpan(), y.AsSpan(), y.Shape, axis, x.Shape.Dimensions[axis], start, fromFull: false, add: false);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<WidenNode<T>>("Widen", y, x);
            node.Axis = axis; node.Start = start;
        }
        return y;
    }

    // widen (narrow's gradient): the gradient narrowed back
    private sealed class WidenNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis, Start;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Narrow(Axis, Start, Input(0).Shape.Dimensions[Axis]));
    }

    // The tensor with `fullShape` seen as [outer, size, inner] around axis, and a part of it of size partSize along the
    // axis starting at start: copies (or adds) each block between the part and its place in the whole, in the direction
    // fromFull says.
    private static void MoveBlocks<T>(ReadOnlySpan<T> source, Span<T> destination, Shape fullShape, int axis, int partSize, int start,
        bool fromFull, bool add) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outer = fullShape.Product(0, axis), size = fullShape.Dimensions[axis], inner = fullShape.Product(axis + 1, fullShape.Rank);
        int chunk = partSize * inner;
        for (int o = 0; o < outer; o++)
        {
            int whole = (o * size + start) * inner, part = o * chunk;
            var from = source.Slice(fromFull ? whole : part, chunk);
            var to = destination.Slice(fromFull ? part : whole, chunk);
            if (add) InPlace.Add(to, from);
            else from.CopyTo(to);
        }
    }

    // ---- Broadcasting as ops: Expand stretches size-1 (and missing leading) axes, SumTo sums them back. Each is the
    // other's derivative; the backward pass uses SumTo to bring a broadcast gradient to its input's shape.

    /// <summary>The tensor broadcast to <paramref name="shape"/> (NumPy rules), as a contiguous copy.</summary>
    public static Tensor<T> Expand<T>(this Tensor<T> x, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var target = TargetShape("Expand", x.Shape, shape);
        if (Broadcast.Shapes("Expand", x.Shape, target) != target)
            throw new ArgumentException($"Expand: shape {x.Shape} cannot be broadcast to {target} (only size-1 and missing leading axes stretch).");
        var y = Tensor<T>.Uninitialized(target);
        y.AsSpan().Clear();
        Broadcast.Apply<T, AddOperator<T>>(y.AsSpan(), target, x.AsReadOnlySpan(), x.Shape, y.AsSpan(), target);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<ExpandNode<T>>("Expand", y, x);
        else Autodiff<T>.CheckForward("Expand", y);
        return y;
    }

    // A shape argument, checked with the op's name (Shape's own message names no op).
    private static Shape TargetShape(string op, Shape input, ReadOnlySpan<int> dims)
    {
        if (dims.Length > Shape.MaxRank)
            throw new ArgumentException($"{op}: target {FormatIntList(dims)} has rank {dims.Length}, more than the maximum {Shape.MaxRank} (input {input}).");
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] < 0)
                throw new ArgumentException($"{op}: dimension {i} of the target {FormatIntList(dims)} is {dims[i]}; sizes must be ≥ 0 (input {input}).");
        return new Shape(dims);
    }

    // expand: grad summed back to the input's shape
    private sealed class ExpandNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.SumTo(Input(0).Shape.Dimensions));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGrad(Input(0), out var gx, out bool fresh)) Broadcast.SumInto(gy, Output.Shape, gx, Input(0).Shape, accumulate: !fresh);
        }
    }

    /// <summary>
    /// Sums the axes along which <paramref name="shape"/> would be broadcast to this tensor's shape, giving a tensor of
    /// <paramref name="shape"/>: the inverse of <see cref="Expand{T}"/> (how a broadcast operand's gradient is formed).
    /// </summary>
    public static Tensor<T> SumTo<T>(this Tensor<T> x, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var target = TargetShape("SumTo", x.Shape, shape);
        if (Broadcast.Shapes("SumTo", target, x.Shape) != x.Shape)
            throw new ArgumentException($"SumTo: shape {target} does not broadcast to the input's shape {x.Shape}, so {x.Shape} cannot be summed to it.");
        var y = Tensor<T>.Uninitialized(target);
        Broadcast.SumInto(x.AsReadOnlySpan(), x.Shape, y.AsSpan(), target, accumulate: false);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<SumToNode<T>>("SumTo", y, x);
        else Autodiff<T>.CheckForward("SumTo", y);
        return y;
    }

    // sum_to: grad expanded to the input's shape
    private sealed class SumToNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Expand(Input(0).Shape.Dimensions));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var xShape = Input(0).Shape;
            Broadcast.Apply<T, AddOperator<T>>(gx, xShape, gy, Output.Shape, gx, xShape);
        }
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
        // The permutation is packed into an int (4 bits per axis, rank ≤ 8) so recording allocates no array.
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<PermuteNode<T>>(op, y, x);
            node.PackedAxes = PackAxes(perm);
        }
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // permute: grad permuted back
    private sealed class PermuteNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Output axis i is input axis (PackedAxes &gt;&gt; 4i) &amp; 15.</summary>
        public int PackedAxes;

        private int[] Inverse()
        {
            var inverse = new int[Input(0).Rank];
            for (int i = 0; i < inverse.Length; i++) inverse[UnpackAxis(PackedAxes, i)] = i;
            return inverse;
        }

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Permute(Inverse()));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            int rank = Input(0).Rank;
            Span<int> inverse = stackalloc int[rank];
            for (int i = 0; i < rank; i++) inverse[UnpackAxis(PackedAxes, i)] = i;
            using var t = Scratch<T>.Rent(gy.Length);
            PermuteCopy(gy, Output.Shape, inverse, t.Span);
            InPlace.Add(gx, t.Span);
        }
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
    /// Joins <paramref name="tensors"/> along <paramref name="axis"/> (torch.cat): <c>tensors.Concat(axis: 1)</c> on an
    /// array or span, or <c>Ops.Concat([a, b], 1)</c>. Every other dimension must match. Backward splits the gradient.
    /// </summary>
    /// <remarks>
    /// An extension of <see cref="ReadOnlySpan{T}"/> (arrays and collection expressions convert to it), not of
    /// <see cref="IEnumerable{T}"/>: LINQ's <c>Enumerable.Concat(first, second)</c> takes a sequence where this takes an
    /// int, so neither can bind a call meant for the other.
    /// </remarks>
    public static Tensor<T> Concat<T>(this ReadOnlySpan<Tensor<T>> tensors, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = tensors;
        if (xs.Length == 0) throw new ArgumentException("Concat: needs at least one tensor, got none.", nameof(tensors));
        for (int i = 0; i < xs.Length; i++)
            if (xs[i] is null) throw new ArgumentNullException(nameof(tensors), $"Concat: tensor {i} of {xs.Length} is null.");
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
            // Up to three inputs fit the node's inline inputs; more are kept in a copy (the caller may reuse its own storage).
            var node = xs.Length > 3
                ? Autodiff<T>.Record<ConcatNode<T>>("Concat", y, xs.ToArray())
                : Autodiff<T>.Record<ConcatNode<T>>("Concat", y, xs[0], xs.Length > 1 ? xs[1] : null, xs.Length > 2 ? xs[2] : null);
            node.Axis = a;
        }
        else Autodiff<T>.CheckForward("Concat", y);
        return y;
    }

    /// <summary>
    /// Joins <paramref name="tensors"/> of one shape along a new axis <paramref name="axis"/> of the result (torch.stack):
    /// n tensors of [A, B] give [n, A, B] for axis 0. Backward hands each input its slice of the gradient. Called like
    /// <see cref="Concat{T}(ReadOnlySpan{Tensor{T}}, int)"/>: <c>tensors.Stack(axis: 0)</c>, <c>Ops.Stack([a, b], 0)</c>.
    /// </summary>
    public static Tensor<T> Stack<T>(this ReadOnlySpan<Tensor<T>> tensors, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = tensors;
        if (xs.Length == 0) throw new ArgumentException("Stack: needs at least one tensor, got none.", nameof(tensors));
        for (int i = 0; i < xs.Length; i++)
            if (xs[i] is null) throw new ArgumentNullException(nameof(tensors), $"Stack: tensor {i} of {xs.Length} is null.");
        var first = xs[0].Shape;
        for (int i = 1; i < xs.Length; i++)
            if (xs[i].Shape != first)
                throw new ArgumentException($"Stack: tensor {i} has shape {xs[i].Shape} but tensor 0 has shape {first}; stacked tensors must all have one shape.");
        // A size-1 axis inserted into each (a view), then joined along it: Concat's gradient splits it back.
        var shape = Unsqueezed("Stack", first, axis);
        int a = axis < 0 ? axis + shape.Rank : axis;
        var parts = new Tensor<T>[xs.Length];
        for (int i = 0; i < xs.Length; i++) parts[i] = ViewAs("Unsqueeze", xs[i], shape);
        return parts.Concat(a);
    }

    // concat: each input gets its block of the gradient
    private sealed class ConcatNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            for (int i = 0, offset = 0; i < InputCount; i++)
            {
                var x = Input(i);
                int size = x.Shape.Dimensions[Axis];
                if (pass.Wants(x)) pass.Add(x, g.Narrow(Axis, offset, size));
                offset += size;
            }
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            for (int i = 0, offset = 0; i < InputCount; i++)
            {
                var x = Input(i);
                int size = x.Shape.Dimensions[Axis];
                if (pass.TryGrad(x, out var gx)) MoveBlocks(gy, gx, Output.Shape, Axis, size, offset, fromFull: true, add: true);
                offset += size;
            }
        }
    }

    private static string FormatIntList(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
