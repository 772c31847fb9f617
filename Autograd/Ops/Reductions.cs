using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    /// <summary>The sum of all elements, as a rank-0 tensor.</summary>
    public static Tensor<T> Sum<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(Shape.Scalar);
        y.AsSpan()[0] = TensorPrimitives.Sum(x.AsReadOnlySpan());
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<SumAllNode<T>>("Sum", y, x);
            node.Scale = T.One;
        }
        else Autodiff<T>.CheckForward("Sum", y);
        return y;
    }

    /// <summary>The mean of all elements, as a rank-0 tensor (NaN for an empty tensor, like PyTorch).</summary>
    public static Tensor<T> Mean<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(Shape.Scalar);
        T count = T.CreateChecked(x.Length);
        y.AsSpan()[0] = TensorPrimitives.Sum(x.AsReadOnlySpan()) / count;
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<SumAllNode<T>>("Mean", y, x);
            node.Scale = T.One / count;
        }
        else Autodiff<T>.CheckForward("Mean", y);
        return y;
    }

    // sum (mean): grad · scale, expanded to the input's shape (scale 1 for Sum, 1/count for Mean)
    private sealed class SumAllNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Scale;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            pass.Add(x, (Scale == T.One ? g : g.Mul(Scale)).Expand(x.Shape.Dimensions));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx, out bool fresh)) return;
            if (fresh) gx.Fill(gy[0] * Scale);
            else InPlace.AddScalar(gx, gy[0] * Scale);
        }
    }

    /// <summary>Sums over <paramref name="axis"/> (negative counts from the end); keeps it as size 1 if <paramref name="keepDim"/>.</summary>
    public static Tensor<T> Sum<T>(this Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ReduceSum("Sum", x, 1 << x.Shape.NormalizeAxis(axis, "Sum"), keepDim, mean: false);
    }

    /// <summary>Sums over every axis in <paramref name="axes"/> (distinct, negative ok); keeps them as size 1 if <paramref name="keepDim"/>.</summary>
    public static Tensor<T> Sum<T>(this Tensor<T> x, int[] axes, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ReduceSum("Sum", x, AxesMask("Sum", x.Shape, axes), keepDim, mean: false);
    }

    /// <summary>Averages over <paramref name="axis"/>; keeps it as size 1 if <paramref name="keepDim"/>.</summary>
    public static Tensor<T> Mean<T>(this Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ReduceSum("Mean", x, 1 << x.Shape.NormalizeAxis(axis, "Mean"), keepDim, mean: true);
    }

    /// <summary>Averages over every axis in <paramref name="axes"/> (distinct, negative ok); keeps them as size 1 if <paramref name="keepDim"/>.</summary>
    public static Tensor<T> Mean<T>(this Tensor<T> x, int[] axes, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        return ReduceSum("Mean", x, AxesMask("Mean", x.Shape, axes), keepDim, mean: true);
    }

    private static Tensor<T> ReduceSum<T>(string op, Tensor<T> x, int mask, bool keepDim, bool mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(ReducedShape(x.Shape, mask, keepDim));
        ReduceRuns(x.AsReadOnlySpan(), x.Shape, mask, y.AsSpan(), max: false);
        T scale = T.One;
        if (mean)
        {
            T count = T.CreateChecked(ReducedCount(x.Shape, mask));
            TensorPrimitives.Divide(y.AsSpan(), count, y.AsSpan());
            scale = T.One / count;
        }
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ReduceSumNode<T>>(op, y, x);
            node.AxesMask = mask; node.Scale = scale;
        }
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // sum(axes) (mean): grad · scale with the reduced axes put back as size 1, expanded to the input's shape
    private sealed class ReduceSumNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Bit i set: axis i was reduced.</summary>
        public int AxesMask;
        public T Scale;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            var kept = g.Reshape(ReducedShape(x.Shape, AxesMask, keepDim: true).Dimensions);
            pass.Add(x, (Scale == T.One ? kept : kept.Mul(Scale)).Expand(x.Shape.Dimensions));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var xShape = Input(0).Shape;
            var kept = ReducedShape(xShape, AxesMask, keepDim: true);
            if (Scale == T.One)
            {
                Kernels.Broadcast.Apply<T, Kernels.AddOperator<T>>(gx, xShape, gy, kept, gx, xShape);
                return;
            }
            using var scaled = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Multiply(gy, Scale, scaled.Span);
            Kernels.Broadcast.Apply<T, Kernels.AddOperator<T>>(gx, xShape, scaled.Span, kept, gx, xShape);
        }
    }

    // ---- Max, Min, ArgMax and ArgMin. Tie rule: the gradient (and ArgMax/ArgMin) goes to the FIRST element of a slice
    // equal to its extremum, like PyTorch's max(dim) and min(dim). +0 and −0 count as equal; a slice holding NaN has
    // extremum NaN and its first NaN wins. Backward recovers that index by scanning the input for the saved output value,
    // so nothing is allocated per step (and one node type serves both: it needs only the value).

    /// <summary>The largest element, as a rank-0 tensor; its gradient goes to the first maximal element.</summary>
    public static Tensor<T> Max<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ExtremumAll("Max", x, minimum: false);

    /// <summary>The smallest element, as a rank-0 tensor; its gradient goes to the first minimal element.</summary>
    public static Tensor<T> Min<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ExtremumAll("Min", x, minimum: true);

    private static Tensor<T> ExtremumAll<T>(string op, Tensor<T> x, bool minimum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0) throw new ArgumentException($"{op}: the tensor of shape {x.Shape} is empty; the {Extremum(minimum)} of no elements is undefined.", nameof(x));
        var y = Tensor<T>.Uninitialized(Shape.Scalar);
        y.AsSpan()[0] = minimum ? TensorPrimitives.Min(x.AsReadOnlySpan()) : TensorPrimitives.Max(x.AsReadOnlySpan());
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<ExtremumAllNode<T>>(op, y, x);
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    private static string Extremum(bool minimum) => minimum ? "minimum" : "maximum";

    // max (min): grad at the first element equal to the result
    private sealed class ExtremumAllNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            var mask = Tensor.Zeros<T>(x.Shape.Dimensions);
            mask.AsSpan()[FirstIndexOf(Name, x.AsReadOnlySpan(), 0, x.Length, 1, Output.AsReadOnlySpan()[0])] = T.One;
            pass.Add(x, g.Mul(mask));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var x = Input(0).AsReadOnlySpan();
            gx[FirstIndexOf(Name, x, 0, x.Length, 1, Output.AsReadOnlySpan()[0])] += gy[0];
        }
    }

    /// <summary>
    /// The maximum over <paramref name="axis"/>; keeps it as size 1 if <paramref name="keepDim"/>. The gradient of each
    /// slice goes to its first maximal element (the element <see cref="ArgMax{T}"/> returns).
    /// </summary>
    public static Tensor<T> Max<T>(this Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        ExtremumAlong("Max", x, axis, keepDim, minimum: false);

    /// <summary>
    /// The minimum over <paramref name="axis"/>; keeps it as size 1 if <paramref name="keepDim"/>. The gradient of each
    /// slice goes to its first minimal element (the element <see cref="ArgMin{T}"/> returns).
    /// </summary>
    public static Tensor<T> Min<T>(this Tensor<T> x, int axis, bool keepDim = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        ExtremumAlong("Min", x, axis, keepDim, minimum: true);

    private static Tensor<T> ExtremumAlong<T>(string op, Tensor<T> x, int axis, bool keepDim, bool minimum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = x.Shape.NormalizeAxis(axis, op);
        if (x.Shape.Dimensions[a] == 0)
            throw new ArgumentException($"{op}: axis {axis} of shape {x.Shape} has size 0; the {Extremum(minimum)} of no elements is undefined.", nameof(axis));
        var y = Tensor<T>.Uninitialized(ReducedShape(x.Shape, 1 << a, keepDim));
        ExtremumAxis(x.AsReadOnlySpan(), x.Shape.Product(0, a), x.Shape.Dimensions[a], x.Shape.Product(a + 1, x.Rank), y.AsSpan(), minimum);
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ExtremumAxisNode<T>>(op, y, x);
            node.Axis = a;
        }
        else Autodiff<T>.CheckForward(op, y);
        return y;
    }

    // max(axis) (min(axis)): grad at each slice's first element equal to its result
    private sealed class ExtremumAxisNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Axis;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            var mask = Tensor.Zeros<T>(x.Shape.Dimensions);
            var m = mask.AsSpan();
            for (int k = 0; k < Output.Length; k++) m[ExtremumOf(k)] = T.One;
            pass.Add(x, g.Reshape(ReducedShape(x.Shape, 1 << Axis, keepDim: true).Dimensions).Mul(mask));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            for (int k = 0; k < gy.Length; k++) gx[ExtremumOf(k)] += gy[k];
        }

        // The flat index in the input of the first extremal element of slice k (k runs over the output's elements).
        private int ExtremumOf(int k)
        {
            var shape = Input(0).Shape;
            int n = shape.Dimensions[Axis], inner = shape.Product(Axis + 1, shape.Rank);
            int start = k / inner * n * inner + k % inner;
            return start + FirstIndexOf(Name, Input(0).AsReadOnlySpan(), start, n, inner, Output.AsReadOnlySpan()[k]) * inner;
        }
    }

    /// <summary>
    /// The index along <paramref name="axis"/> of the first maximal element of every slice (no gradient), in row-major
    /// order of the shape without that axis: for logits [N, C] and axis −1, the predicted class of each row.
    /// </summary>
    public static int[] ArgMax<T>(this Tensor<T> x, int axis) where T : unmanaged, IFloatingPointIeee754<T> => ArgExtremum("ArgMax", x, axis, minimum: false);

    /// <summary>
    /// The index along <paramref name="axis"/> of the first minimal element of every slice (no gradient), in row-major
    /// order of the shape without that axis.
    /// </summary>
    public static int[] ArgMin<T>(this Tensor<T> x, int axis) where T : unmanaged, IFloatingPointIeee754<T> => ArgExtremum("ArgMin", x, axis, minimum: true);

    private static int[] ArgExtremum<T>(string op, Tensor<T> x, int axis, bool minimum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = x.Shape.NormalizeAxis(axis, op);
        int outer = x.Shape.Product(0, a), n = x.Shape.Dimensions[a], inner = x.Shape.Product(a + 1, x.Rank);
        if (n == 0)
            throw new ArgumentException($"{op}: axis {axis} of shape {x.Shape} has size 0; the {Extremum(minimum)} of no elements is undefined.", nameof(axis));
        var src = x.AsReadOnlySpan();
        var result = new int[outer * inner];
        using var extrema = Scratch<T>.Rent(result.Length);
        ExtremumAxis(src, outer, n, inner, extrema.Span, minimum);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                result[o * inner + i] = FirstIndexOf(op, src, o * n * inner + i, n, inner, extrema.Span[o * inner + i]);
        return result;
    }

    // dst[o, i] = max_j (or min_j) src[o, j, i]  (n ≥ 1)
    private static void ExtremumAxis<T>(ReadOnlySpan<T> src, int outer, int n, int inner, Span<T> dst, bool minimum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
                dst[o] = minimum ? TensorPrimitives.Min(src.Slice(o * n, n)) : TensorPrimitives.Max(src.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var d = dst.Slice(o * inner, inner);
            var block = src.Slice(o * n * inner, n * inner);
            block[..inner].CopyTo(d);
            for (int j = 1; j < n; j++)
            {
                if (minimum) TensorPrimitives.Min(d, block.Slice(j * inner, inner), d);
                else TensorPrimitives.Max(d, block.Slice(j * inner, inner), d);
            }
        }
    }

    // The position j in [0, n) of the first src[start + j·stride] equal to value (NaN matches NaN).
    private static int FirstIndexOf<T>(string op, ReadOnlySpan<T> src, int start, int n, int stride, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool nan = T.IsNaN(value);
        for (int j = 0, p = start; j < n; j++, p += stride)
            if (src[p] == value || (nan && T.IsNaN(src[p]))) return j;
        throw new InvalidOperationException($"{op}: the result {value} is no longer in its slice; the input was modified in place after the forward pass.");
    }

    // ---- shared axis machinery (also used by Max, Min, ArgMax and ArgMin)

    /// <summary>A bit mask of the normalized <paramref name="axes"/>, rejecting an empty list, duplicates and out-of-range axes.</summary>
    private static int AxesMask(string op, Shape shape, int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length == 0)
            throw new ArgumentException($"{op}: the axes list is empty (shape {shape}); call {op}() without axes to reduce every element.", nameof(axes));
        int mask = 0;
        foreach (int axis in axes)
        {
            int a = shape.NormalizeAxis(axis, op);
            if ((mask & (1 << a)) != 0)
                throw new ArgumentException($"{op}: axis {axis} appears more than once in axes [{string.Join(", ", axes)}] for shape {shape}.", nameof(axes));
            mask |= 1 << a;
        }
        return mask;
    }

    private static Shape ReducedShape(Shape shape, int mask, bool keepDim)
    {
        Span<int> d = stackalloc int[shape.Rank];
        int r = 0;
        for (int i = 0; i < shape.Rank; i++)
        {
            if ((mask & (1 << i)) == 0) d[r++] = shape.Dimensions[i];
            else if (keepDim) d[r++] = 1;
        }
        return new Shape(d[..r]);
    }

    private static int ReducedCount(Shape shape, int mask)
    {
        int n = 1;
        for (int i = 0; i < shape.Rank; i++) if ((mask & (1 << i)) != 0) n *= shape.Dimensions[i];
        return n;
    }

    /// <summary>
    /// Reduces the axes in <paramref name="mask"/> of <paramref name="src"/> into <paramref name="dst"/>. Adjacent reduced axes
    /// form one run; each run is one [outer, n, inner] pass, from the rightmost run leftwards.
    /// </summary>
    private static void ReduceRuns<T>(ReadOnlySpan<T> src, Shape shape, int mask, Span<T> dst, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dims = shape.Dimensions;
        int runs = 0, firstPassLength = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            bool reduced = (mask & (1 << i)) != 0;
            if (reduced && (i == dims.Length - 1 || (mask & (1 << (i + 1))) == 0)) runs++;
            if (!reduced || runs > 1) firstPassLength *= dims[i];
        }
        // Intermediate results of a multi-run reduction ping-pong between two pooled buffers.
        using var bufferA = Scratch<T>.Rent(runs > 1 ? firstPassLength : 0);
        using var bufferB = Scratch<T>.Rent(runs > 2 ? firstPassLength : 0);

        var current = src;
        int inner = 1, pass = 0;
        for (int i = dims.Length - 1; i >= 0;)
        {
            if ((mask & (1 << i)) == 0) { inner *= dims[i--]; continue; }
            int n = 1;
            while (i >= 0 && (mask & (1 << i)) != 0) n *= dims[i--];
            int outer = shape.Product(0, i + 1);
            bool last = ++pass == runs;
            var target = last ? dst : (pass % 2 == 1 ? bufferA.Span : bufferB.Span)[..(outer * inner)];
            if (max) ExtremumAxis(current, outer, n, inner, target, minimum: false);
            else SumAxis(current, outer, n, inner, target);
            current = target;
        }
    }

    // dst[o, i] = Σ_j src[o, j, i]
    private static void SumAxis<T>(ReadOnlySpan<T> src, int outer, int n, int inner, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) dst[o] = TensorPrimitives.Sum(src.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var d = dst.Slice(o * inner, inner);
            var block = src.Slice(o * n * inner, n * inner);
            if (n == 0) { d.Clear(); continue; }
            block[..inner].CopyTo(d);
            for (int j = 1; j < n; j++) InPlace.Add(d, block.Slice(j * inner, inner));
        }
    }
}
