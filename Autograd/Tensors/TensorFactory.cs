namespace Autograd;

/// <summary>
/// Creation of tensors: zeros, ones, full, from arrays, ranges and seeded random values. Every factory takes
/// <c>requiresGrad</c> (a leaf whose gradient the tape computes), and every factory follows the rule of op results:
/// inside a <see cref="TensorScope"/> the tensor belongs to the scope (its storage comes from the thread's pool and is
/// released when the scope ends, unless <see cref="TensorScope.Keep{T}"/> takes it out); outside any scope it is an
/// ordinary garbage-collected tensor. Only <see cref="Tensor{T}(T[], Shape, bool)"/>, which wraps an array of the
/// caller's, never belongs to a scope.
/// </summary>
public static partial class Tensor
{
    /// <summary>A tensor of the given shape with unspecified contents.</summary>
    public static Tensor<T> Empty<T>(Shape shape, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        Leaf(Tensor<T>.Uninitialized(shape), requiresGrad);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor<T> Zeros<T>(params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T> => Full(Shape.Of("Zeros", shape), T.Zero);

    /// <summary>A tensor of zeros: <c>Tensor.Zeros&lt;double&gt;([3, 4], requiresGrad: true)</c>.</summary>
    public static Tensor<T> Zeros<T>(ReadOnlySpan<int> shape, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T> =>
        Full(Shape.Of("Zeros", shape), T.Zero, requiresGrad);

    /// <summary>
    /// A tensor of zeros with its own storage (never pooled, never a scope's) starting on a 64-byte boundary (one cache
    /// line) that does not move: for parameters, gradients and batch buffers that live for the whole training and that
    /// kernels read many times, so that no vector load of theirs straddles two cache lines.
    /// </summary>
    internal static Tensor<T> ZerosAligned<T>(params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = Shape.Of("ZerosAligned", shape);
        // The aligned array carries a cache line of padding beyond the elements.
        if (s.Length > Array.MaxLength - AlignedStorage.Padding<T>())
            throw new ArgumentException($"ZerosAligned: shape {s} has {s.Length} elements; with its alignment padding that is more than an array can hold.");
        var segment = AlignedStorage.Allocate<T>(s.Length);
        return new Tensor<T>(s, segment.Array!, segment.Offset, null, pooled: false);
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor<T> Ones<T>(params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T> => Full(Shape.Of("Ones", shape), T.One);

    /// <summary>A tensor of ones: <c>Tensor.Ones&lt;double&gt;([3, 4], requiresGrad: true)</c>.</summary>
    public static Tensor<T> Ones<T>(ReadOnlySpan<int> shape, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T> =>
        Full(Shape.Of("Ones", shape), T.One, requiresGrad);

    /// <summary>A tensor of zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor<T> ZerosLike<T>(Tensor<T> like, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(like);
        return Full(like.Shape, T.Zero, requiresGrad);
    }

    /// <summary>A tensor whose every element is <paramref name="value"/>.</summary>
    public static Tensor<T> Full<T>(Shape shape, T value, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = Empty<T>(shape, requiresGrad);
        t.AsSpan().Fill(value);
        return t;
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor<T> Scalar<T>(T value, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T> => Full(Shape.Scalar, value, requiresGrad);

    /// <summary>A 1-D copy of <paramref name="values"/>.</summary>
    public static Tensor<T> FromArray<T>(T[] values, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        return Copy(values, new Shape(values.Length), requiresGrad);
    }

    /// <summary>
    /// A copy of <paramref name="values"/> with exactly the given shape: <c>FromArray(v, 2, 3)</c> is [2, 3], and an
    /// empty shape is rank 0 (one value). The number of values must be the product of the dimensions.
    /// </summary>
    public static Tensor<T> FromArray<T>(T[] values, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        FromArray(values, shape, requiresGrad: false);

    /// <summary>A copy of <paramref name="values"/> with the given shape: <c>FromArray(v, [2, 3], requiresGrad: true)</c>.</summary>
    public static Tensor<T> FromArray<T>(T[] values, ReadOnlySpan<int> shape, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = Shape.Of("FromArray", shape);
        if (s.Length != values.Length)
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {s} ({s.Length} element{(s.Length == 1 ? "" : "s")}).");
        return Copy(values, s, requiresGrad);
    }

    /// <summary>A copy of a rectangular 2-D array.</summary>
    public static Tensor<T> FromArray<T>(T[,] values, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(values);
        var t = Tensor<T>.Uninitialized(Shape.Of("FromArray", [values.GetLength(0), values.GetLength(1)]));
        var span = t.AsSpan();
        int k = 0;
        foreach (var v in values) span[k++] = v;
        return Leaf(t, requiresGrad);
    }

    private static Tensor<T> Copy<T>(ReadOnlySpan<T> values, Shape shape, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = Tensor<T>.Uninitialized(shape);
        values.CopyTo(t.AsSpan());
        return Leaf(t, requiresGrad);
    }

    // Every factory's result is a leaf; requiresGrad makes it one the tape differentiates.
    private static Tensor<T> Leaf<T>(Tensor<T> tensor, bool requiresGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (requiresGrad) tensor.RequiresGrad = true;
        return tensor;
    }

    /// <summary>
    /// Values start, start+step, … below stop (1-D), like numpy.arange. Start, stop and step must be finite, step
    /// non-zero, the count at most <see cref="Array.MaxLength"/>, and every value representable in <typeparamref name="T"/>.
    /// </summary>
    public static Tensor<T> Arange<T>(double start, double stop, double step = 1, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(start) || !double.IsFinite(stop))
            throw new ArgumentException($"Arange: start and stop must be finite, got start {start}, stop {stop}.");
        if (step == 0 || !double.IsFinite(step)) throw new ArgumentException($"Arange: step must be finite and non-zero (got {step}).");
        double count = Math.Ceiling((stop - start) / step);   // +∞ when the range overflows a double: rejected below
        if (!(count <= Array.MaxLength))
            throw new ArgumentException($"Arange: [{start}, {stop}) in steps of {step} has {count:G6} values, more than the {Array.MaxLength} an array can hold.");
        int n = Math.Max(0, (int)count);
        if (n > 0)
        {
            double last = start + (n - 1) * step;
            // A finite double that rounds to ±∞ in T (float32 beyond 3.4e38) is an error, not a silent infinity.
            if (!T.IsFinite(T.CreateChecked(start)) || !T.IsFinite(T.CreateChecked(last)))
                throw new ArgumentException($"Arange: values from {start} to {last} are outside the range of {Tensor<T>.DType}.");
        }
        var t = Tensor<T>.Uninitialized(new Shape(n));
        var span = t.AsSpan();
        for (int i = 0; i < n; i++) span[i] = T.CreateChecked(start + i * step);
        return Leaf(t, requiresGrad);
    }

    /// <summary>
    /// Uniform random values in [low, high) from the seeded generator <paramref name="rng"/>; the bounds must be finite
    /// and representable in <typeparamref name="T"/>, with high ≥ low.
    /// </summary>
    public static Tensor<T> Uniform<T>(Shape shape, double low, double high, Rng rng, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        Rng.CheckUniformBounds<T>("Uniform", low, high);
        var t = Tensor<T>.Uninitialized(shape);
        rng.FillUniform(t.AsSpan(), low, high);
        return Leaf(t, requiresGrad);
    }

    /// <summary>
    /// Normal random values N(mean, std²) from the seeded generator <paramref name="rng"/>; mean and std must be finite,
    /// std ≥ 0, and mean ± 10·std representable in <typeparamref name="T"/>.
    /// </summary>
    public static Tensor<T> Normal<T>(Shape shape, double mean, double std, Rng rng, bool requiresGrad = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        Rng.CheckNormalParameters<T>("Normal", mean, std);
        var t = Tensor<T>.Uninitialized(shape);
        rng.FillNormal(t.AsSpan(), mean, std);
        return Leaf(t, requiresGrad);
    }

    /// <summary>A leaf copy of <paramref name="source"/> converted to element type <typeparamref name="TTo"/>.</summary>
    public static Tensor<TTo> Convert<TFrom, TTo>(Tensor<TFrom> source, bool requiresGrad = false)
        where TFrom : unmanaged, IFloatingPointIeee754<TFrom> where TTo : unmanaged, IFloatingPointIeee754<TTo>
    {
        ArgumentNullException.ThrowIfNull(source);
        var t = Tensor<TTo>.Uninitialized(source.Shape);
        TensorPrimitives.ConvertChecked<TFrom, TTo>(source.AsReadOnlySpan(), t.AsSpan());
        return Leaf(t, requiresGrad);
    }
}
