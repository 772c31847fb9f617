namespace Autograd.Kernels;

/// <summary>An elementwise binary operator in three span forms, so broadcasting can use vector kernels per row.</summary>
internal interface IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);
    static abstract void Invoke(ReadOnlySpan<T> x, T y, Span<T> destination);
    static abstract void Invoke(T x, ReadOnlySpan<T> y, Span<T> destination);
}

internal readonly struct AddOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(y, x, d);
}

internal readonly struct SubtractOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
}

internal readonly struct MultiplyOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(y, x, d);
}

internal readonly struct DivideOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary>
/// NumPy broadcasting over contiguous row-major buffers. Shapes are aligned on the right; a dimension of 1
/// stretches. Work is done one innermost row at a time with vector kernels, so the common cases
/// (same shape, bias row over a matrix, per-row scalar) run at full speed.
/// </summary>
internal static class Broadcast
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or an exception naming <paramref name="op"/>.</summary>
    public static Shape Shapes(string op, Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        Span<int> d = stackalloc int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a.Dimensions[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b.Dimensions[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a} and {b} cannot be broadcast together (axis {i - rank}: {da} vs {db}).");
            d[i] = da == 1 ? db : da;
        }
        return Shape.Of(op, d);
    }

    /// <summary>destination[out] = op(x[bcast], y[bcast]) where <paramref name="outShape"/> is the broadcast shape.</summary>
    public static void Apply<T, TOp>(ReadOnlySpan<T> x, Shape xShape, ReadOnlySpan<T> y, Shape yShape, Span<T> destination, Shape outShape)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOperator<T>
    {
        if (xShape == yShape) { TOp.Invoke(x, y, destination); return; }
        if (yShape.Length == 1) { TOp.Invoke(x, y[0], destination); return; }
        if (xShape.Length == 1) { TOp.Invoke(x[0], y, destination); return; }

        int rank = outShape.Rank;
        int inner = rank == 0 ? 1 : outShape.Dimensions[rank - 1];
        Span<int> xs = stackalloc int[rank], ys = stackalloc int[rank], idx = stackalloc int[rank];
        Strides(xShape, outShape, xs);
        Strides(yShape, outShape, ys);
        bool xRow = rank == 0 || xs[rank - 1] != 0, yRow = rank == 0 || ys[rank - 1] != 0;
        int rows = inner == 0 ? 0 : outShape.Length / inner;
        int xo = 0, yo = 0;
        for (int r = 0; r < rows; r++)
        {
            var dst = destination.Slice(r * inner, inner);
            if (xRow && yRow) TOp.Invoke(x.Slice(xo, inner), y.Slice(yo, inner), dst);
            else if (xRow) TOp.Invoke(x.Slice(xo, inner), y[yo], dst);
            else if (yRow) TOp.Invoke(x[xo], y.Slice(yo, inner), dst);
            else { TOp.Invoke(x.Slice(xo, 1), y[yo], dst[..1]); dst.Fill(dst[0]); }
            Advance(outShape, idx, xs, ys, ref xo, ref yo);
        }
    }

    /// <summary>
    /// Adds <paramref name="source"/> (of the broadcast shape <paramref name="sourceShape"/>) into <paramref name="destination"/>
    /// (of shape <paramref name="destinationShape"/>), summing over the broadcast axes: the gradient of a broadcast.
    /// </summary>
    public static void SumInto<T>(ReadOnlySpan<T> source, Shape sourceShape, Span<T> destination, Shape destinationShape)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SumInto(source, sourceShape, destination, destinationShape, accumulate: true);

    /// <summary>Like <see cref="SumInto{T}(ReadOnlySpan{T}, Shape, Span{T}, Shape)"/>, but overwrites the destination unless <paramref name="accumulate"/>.</summary>
    public static void SumInto<T>(ReadOnlySpan<T> source, Shape sourceShape, Span<T> destination, Shape destinationShape, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sourceShape == destinationShape)
        {
            if (accumulate) InPlace.Add(destination, source);
            else source.CopyTo(destination);
            return;
        }
        if (!accumulate) destination.Clear();
        if (destinationShape.Length == 1) { destination[0] += TensorPrimitives.Sum(source); return; }

        int rank = sourceShape.Rank;
        int inner = sourceShape.Dimensions[rank - 1];
        Span<int> ds = stackalloc int[rank], none = stackalloc int[rank], idx = stackalloc int[rank];
        Strides(destinationShape, sourceShape, ds);
        bool dRow = ds[rank - 1] != 0;
        int rows = inner == 0 ? 0 : sourceShape.Length / inner;
        int doff = 0, unused = 0;
        for (int r = 0; r < rows; r++)
        {
            var src = source.Slice(r * inner, inner);
            if (dRow) { var d = destination.Slice(doff, inner); InPlace.Add(d, src); }
            else destination[doff] += TensorPrimitives.Sum(src);
            Advance(sourceShape, idx, ds, none, ref doff, ref unused);
        }
    }

    // Element strides of `shape` seen through the broadcast `outShape` (0 along stretched axes).
    private static void Strides(Shape shape, Shape outShape, Span<int> strides)
    {
        int rank = outShape.Rank, pad = rank - shape.Rank, stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int d = i < pad ? 1 : shape.Dimensions[i - pad];
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
    }

    // Moves to the next innermost row: an odometer over all axes but the last.
    private static void Advance(Shape outShape, Span<int> idx, ReadOnlySpan<int> xs, ReadOnlySpan<int> ys, ref int xo, ref int yo)
    {
        var dims = outShape.Dimensions;
        for (int ax = dims.Length - 2; ax >= 0; ax--)
        {
            idx[ax]++;
            xo += xs[ax]; yo += ys[ax];
            if (idx[ax] < dims[ax]) return;
            xo -= xs[ax] * dims[ax]; yo -= ys[ax] * dims[ax];
            idx[ax] = 0;
        }
    }
}
