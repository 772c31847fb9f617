using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Selecting with integer indices. Indices are plain ints (an int[] or any span of them, in row-major order),
    // like CrossEntropyLoss's class targets and ArgMax's result: exact at any size (a float32 tensor stops representing
    // integers at 2^24), no gradient to carry, and what the kernels take. An op copies them when it is recorded, so the
    // caller may reuse its array before Backward. Every selection's gradient is a scatter-add, and every scatter-add's
    // gradient is the selection again, so both directions are recorded ops and second derivatives work.

    /// <summary>
    /// The slices of <paramref name="x"/> at positions <paramref name="indices"/> along <paramref name="axis"/>
    /// (torch.index_select): the result has the shape of x with that axis's size replaced by the number of indices.
    /// Indices may repeat; their gradients add up.
    /// </summary>
    public static Tensor<T> IndexSelect<T>(this Tensor<T> x, int axis, ReadOnlySpan<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException($"IndexSelect: cannot index a scalar (shape {x.Shape}); it has no axes.");
        int a = x.Shape.NormalizeAxis(axis, "IndexSelect");
        return SelectAlong("IndexSelect", x, a, indices);
    }

    private static Tensor<T> SelectAlong<T>(string op, Tensor<T> x, int a, ReadOnlySpan<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Shape;
        int size = s.Dimensions[a];
        CheckIndices(op, indices, size, s, a);
        var y = Tensor<T>.Uninitialized(s.With(a, indices.Length));
        Indexing.IndexSelectForward(s.Product(0, a), size, s.Product(a + 1, s.Rank), x.AsReadOnlySpan(), indices, y.AsSpan());
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<IndexSelectNode<T>>(op, y, x);
            node.Axis = a;
            node.Indices = SavedIndices.Copy(indices);
        }
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // index_select: grad added back at the selected positions of zeros of the input's shape
    private sealed class IndexSelectNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;
        public SavedIndices Indices;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.IndexAdd(Axis, Indices.Span, Input(0).Shape.Dimensions[Axis]));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx, out bool fresh)) return;
            var s = Input(0).Shape;
            Indexing.IndexSelectBackward(s.Product(0, Axis), s.Dimensions[Axis], s.Product(Axis + 1, s.Rank), gy, Indices.Span, gx, accumulate: !fresh);
        }

        internal override void ReleaseSaved() => Indices.Return();
    }

    // The adjoint of IndexSelect (its gradient): zeros whose axis has `size` positions, with slice k of x added at
    // position indices[k].
    private static Tensor<T> IndexAdd<T>(this Tensor<T> x, int axis, ReadOnlySpan<int> indices, int size) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Shape;
        var y = Tensor<T>.Uninitialized(s.With(axis, size));
        Indexing.IndexSelectBackward(s.Product(0, axis), size, s.Product(axis + 1, s.Rank), x.AsReadOnlySpan(), indices, y.AsSpan(), accumulate: false);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<IndexAddNode<T>>("IndexAdd", y, x);
            node.Axis = axis;
            node.Indices = SavedIndices.Copy(indices);
        }
        return y;
    }

    // index_add (index_select's gradient): the gradient selected at the same positions
    private sealed class IndexAddNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;
        public SavedIndices Indices;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), SelectAlong("IndexSelect", g, Axis, Indices.Span));

        internal override void ReleaseSaved() => Indices.Return();
    }

    /// <summary>
    /// torch.gather along <paramref name="axis"/>: y[…, k, …] = x[…, index[…, k, …], …]. <paramref name="index"/> holds one
    /// position per output element, in row-major order of the output, whose shape is x's with the axis's size replaced by
    /// K = index.Length / (the product of x's other dimensions). Positions may repeat; their gradients add up.
    /// </summary>
    public static Tensor<T> Gather<T>(this Tensor<T> x, int axis, ReadOnlySpan<int> index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException($"Gather: cannot index a scalar (shape {x.Shape}); it has no axes.");
        var s = x.Shape;
        int a = s.NormalizeAxis(axis, "Gather");
        int outer = s.Product(0, a), size = s.Dimensions[a], inner = s.Product(a + 1, s.Rank);
        long others = (long)outer * inner;
        if (others == 0 || index.Length % others != 0) ThrowGatherLength(s, a, index.Length, others);
        int count = (int)(index.Length / others);
        CheckIndices("Gather", index, size, s, a);
        var y = Tensor<T>.Uninitialized(s.With(a, count));
        Indexing.GatherForward(outer, size, inner, x.AsReadOnlySpan(), index, count, y.AsSpan());
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<GatherNode<T>>("Gather", y, x);
            node.Axis = a;
            node.Index = SavedIndices.Copy(index);
        }
        else Autodiff<T>.CheckForward("Gather", y);
        return y;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowGatherLength(Shape s, int axis, int length, long others) =>
        throw new ArgumentException(others == 0
            ? $"Gather: the input {s} is empty apart from axis {axis}, so the index's shape cannot be inferred."
            : $"Gather: the index has {length} elements, not a multiple of {others} (the product of the dimensions of {s} other than axis {axis}); " +
              $"it must hold one position per output element, the output being {s} with axis {axis} resized.");

    // gather: grad scattered back (added) along the axis to the gathered positions
    private sealed class GatherNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;
        public SavedIndices Index;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.ScatterAdd(Axis, Index.Span, Input(0).Shape.Dimensions[Axis]));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx, out bool fresh)) return;
            var s = Input(0).Shape;
            Indexing.GatherBackward(s.Product(0, Axis), s.Dimensions[Axis], s.Product(Axis + 1, s.Rank), gy, Index.Span,
                Output.Shape.Dimensions[Axis], gx, accumulate: !fresh);
        }

        internal override void ReleaseSaved() => Index.Return();
    }

    // The adjoint of Gather (its gradient, and max pooling's): zeros whose axis has `size` positions, with x[…, k, …]
    // added at position index[…, k, …].
    internal static Tensor<T> ScatterAdd<T>(this Tensor<T> x, int axis, ReadOnlySpan<int> index, int size) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Shape;
        var y = Tensor<T>.Uninitialized(s.With(axis, size));
        Indexing.GatherBackward(s.Product(0, axis), size, s.Product(axis + 1, s.Rank), x.AsReadOnlySpan(), index, s.Dimensions[axis], y.AsSpan(), accumulate: false);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ScatterAddNode<T>>("ScatterAdd", y, x);
            node.Axis = axis;
            node.Index = SavedIndices.Copy(index);
        }
        return y;
    }

    // scatter_add (gather's gradient): the gradient gathered at the same positions
    private sealed class ScatterAddNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;
        public SavedIndices Index;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Gather(Axis, Index.Span));

        internal override void ReleaseSaved() => Index.Return();
    }

    /// <summary>
    /// Embedding lookup: row indices[i] of <paramref name="weight"/> [V, D] for every index, shaped
    /// [..<paramref name="indexShape"/>, D] ([indices.Length, D] when no shape is given). The weight's gradient is
    /// the output gradient's rows added back at their indices (repeated indices add up).
    /// </summary>
    public static Tensor<T> Embedding<T>(this Tensor<T> weight, ReadOnlySpan<int> indices, params ReadOnlySpan<int> indexShape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: the weight must be 2-D [num_embeddings, embedding_dim], got {weight.Shape}.");
        if (indexShape.Length >= Shape.MaxRank)
            throw new ArgumentException($"Embedding: the index shape {FormatIntList(indexShape)} has rank {indexShape.Length}; the result's rank would exceed {Shape.MaxRank}.");
        int rank = Math.Max(indexShape.Length, 1);
        Span<int> dims = stackalloc int[rank + 1];
        dims[0] = indices.Length;
        if (indexShape.Length > 0)
        {
            long count = 1;
            for (int i = 0; i < indexShape.Length; i++)
            {
                if (indexShape[i] < 0) throw new ArgumentException($"Embedding: the index shape {FormatIntList(indexShape)} has a negative dimension.");
                count *= dims[i] = indexShape[i];
            }
            if (count != indices.Length)
                throw new ArgumentException($"Embedding: {indices.Length} indices do not fill the index shape {FormatIntList(indexShape)} ({count} elements).");
        }
        dims[rank] = weight.Shape[1];
        var rows = SelectAlong("Embedding", weight, 0, indices);
        return rank == 1 ? rows : rows.Reshape(dims);
    }

    private static void CheckIndices(string op, ReadOnlySpan<int> indices, int size, Shape shape, int axis)
    {
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)size) ThrowIndexOutOfRange(op, i, indices[i], size, shape, axis);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndexOutOfRange(string op, int position, int index, int size, Shape shape, int axis) =>
        throw new ArgumentOutOfRangeException("indices",
            $"{op}: index {index} at position {position} is out of range for axis {axis} of shape {shape}, which has size {size} (valid: 0 to {size - 1}).");

    // ---- Where

    /// <summary>
    /// a where <paramref name="mask"/> is nonzero, else b, with broadcasting of all three (torch.where). The mask is a
    /// constant: it gets no gradient. a's gradient is the output gradient where the mask holds, b's where it does not.
    /// </summary>
    public static Tensor<T> Where<T>(Tensor<T> mask, Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(mask); ArgumentNullException.ThrowIfNull(a); ArgumentNullException.ThrowIfNull(b);
        var shape = Broadcast.Shapes("Where", Broadcast.Shapes("Where", a.Shape, b.Shape), mask.Shape);
        var y = Tensor<T>.Uninitialized(shape);
        var ys = y.AsSpan();
        ExpandInto(b.AsReadOnlySpan(), b.Shape, ys, shape);
        using var maskScratch = mask.Shape == shape ? default : Scratch<T>.Rent(shape.Length);
        using var aScratch = a.Shape == shape ? default : Scratch<T>.Rent(shape.Length);
        var m = ExpandedOrSelf(mask, shape, maskScratch.Span);
        var av = ExpandedOrSelf(a, shape, aScratch.Span);
        for (int i = 0; i < ys.Length; i++) if (m[i] != T.Zero) ys[i] = av[i];
        if (Autodiff<T>.ShouldRecord(a, b))
        {
            var node = Autodiff<T>.Record<WhereNode<T>>("Where", y, a, b);
            node.Mask = mask;
        }
        else Autodiff<T>.CheckForward("Where", y);
        return y;
    }

    // where: grad·mask to a, grad·(1 − mask) to b (each summed back to its shape by the pass)
    private sealed class WhereNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Tensor<T> Mask = null!;

        // The mask as 1 (selects a) or 0, or the reverse, in the output's shape.
        private Tensor<T> Selector(bool forA)
        {
            var selector = Tensor<T>.Uninitialized(Output.Shape);
            var s = selector.AsSpan();
            ExpandInto(Mask.AsReadOnlySpan(), Mask.Shape, s, Output.Shape);
            for (int i = 0; i < s.Length; i++) s[i] = (s[i] != T.Zero) == forA ? T.One : T.Zero;
            return selector;
        }

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            if (pass.Wants(Input(0))) pass.Add(Input(0), g.Mul(Selector(forA: true)));
            if (pass.Wants(Input(1))) pass.Add(Input(1), g.Mul(Selector(forA: false)));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            var shape = Output.Shape;
            using var selected = Scratch<T>.Rent(gy.Length);
            var t = selected.Span;
            for (int input = 0; input < 2; input++)
            {
                if (!pass.TryGrad(Input(input), out var gx, out bool fresh)) continue;
                ExpandInto(Mask.AsReadOnlySpan(), Mask.Shape, t, shape);
                for (int i = 0; i < t.Length; i++) t[i] = (t[i] != T.Zero) == (input == 0) ? gy[i] : T.Zero;
                Broadcast.SumInto(t, shape, gx, Input(input).Shape, accumulate: !fresh);
            }
        }
    }

    // destination (of `target`) = source broadcast to target.
    private static void ExpandInto<T>(ReadOnlySpan<T> source, Shape sourceShape, Span<T> destination, Shape target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sourceShape == target) { source.CopyTo(destination); return; }
        destination.Clear();
        Broadcast.Apply<T, AddOperator<T>>(destination, target, source, sourceShape, destination, target);
    }

    private static ReadOnlySpan<T> ExpandedOrSelf<T>(Tensor<T> x, Shape target, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Shape == target) return x.AsReadOnlySpan();
        ExpandInto(x.AsReadOnlySpan(), x.Shape, scratch, target);
        return scratch;
    }
}
