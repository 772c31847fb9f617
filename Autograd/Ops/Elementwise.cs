using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    // ---- Pow

    /// <summary>x^p elementwise for a constant exponent; d/dx = p·x^(p−1) (0 for p = 0, also at x = 0).</summary>
    public static Tensor<T> Pow<T>(this Tensor<T> x, T exponent) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (T.IsNaN(exponent)) throw new ArgumentException($"Pow: the exponent is NaN (input shape {x.Shape}).", nameof(exponent));
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Pow(x.AsReadOnlySpan(), exponent, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Pow", y, PowScalarBackward, x).X0 = exponent;
        else Tape<T>.CheckForward("Pow", y);
        return y;
    }

    private static void PowScalarBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        using var t = Scratch<T>.Rent(gy.Length);
        PowBaseGradient<T>.Invoke(e.A!.AsReadOnlySpan(), e.X0, t.Span);
        InPlace.AddProduct(gx, gy, t.Span);
    }

    /// <summary>
    /// x^p elementwise with NumPy broadcasting between base and exponent.
    /// d/dx = p·x^(p−1); d/dp = x^p·ln x (taken as 0 where x^p = 0, i.e. x = 0 with p &gt; 0, like PyTorch).
    /// </summary>
    public static Tensor<T> Pow<T>(this Tensor<T> x, Tensor<T> exponent) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(exponent);   // named here: Binary's names are a and b
        return Binary<T, PowOperator<T>>("Pow", x, exponent, PowBackward);
    }

    private static void PowBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = e.A!; var p = e.B!; var outShape = e.Output.Shape;
        using var t = Scratch<T>.Rent(gy.Length);
        if (Tape<T>.TryGrad(x, out var gx))
        {
            Broadcast.Apply<T, PowBaseGradient<T>>(x.AsReadOnlySpan(), x.Shape, p.AsReadOnlySpan(), p.Shape, t.Span, outShape);
            TensorPrimitives.Multiply(t.Span, gy, t.Span);
            Broadcast.SumInto(t.Span, outShape, gx, x.Shape);
        }
        if (Tape<T>.TryGrad(p, out var gp))
        {
            Broadcast.Apply<T, PowExponentGradient<T>>(e.Output.AsReadOnlySpan(), outShape, x.AsReadOnlySpan(), x.Shape, t.Span, outShape);
            TensorPrimitives.Multiply(t.Span, gy, t.Span);
            Broadcast.SumInto(t.Span, outShape, gp, p.Shape);
        }
    }

    private readonly struct PowOperator<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> p, Span<T> d) => TensorPrimitives.Pow(x, p, d);
        public static void Invoke(ReadOnlySpan<T> x, T p, Span<T> d) => TensorPrimitives.Pow(x, p, d);
        public static void Invoke(T x, ReadOnlySpan<T> p, Span<T> d) => TensorPrimitives.Pow(x, p, d);
    }

    // (x, p) → p·x^(p−1), with 0 where p = 0 (x^0 is constant even at x = 0, where the formula gives 0·∞).
    private readonly struct PowBaseGradient<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> x, ReadOnlySpan<T> p, Span<T> d)
        {
            TensorPrimitives.Subtract(p, T.One, d);
            TensorPrimitives.Pow(x, d, d);
            TensorPrimitives.Multiply(d, p, d);
            for (int i = 0; i < d.Length; i++) if (p[i] == T.Zero) d[i] = T.Zero;
        }

        public static void Invoke(ReadOnlySpan<T> x, T p, Span<T> d)
        {
            if (p == T.Zero) { d.Clear(); return; }
            TensorPrimitives.Pow(x, p - T.One, d);
            TensorPrimitives.Multiply(d, p, d);
        }

        public static void Invoke(T x, ReadOnlySpan<T> p, Span<T> d)
        {
            TensorPrimitives.Subtract(p, T.One, d);
            TensorPrimitives.Pow(x, d, d);
            TensorPrimitives.Multiply(d, p, d);
            for (int i = 0; i < d.Length; i++) if (p[i] == T.Zero) d[i] = T.Zero;
        }
    }

    // (y = x^p, x) → y·ln x, with 0 where y = 0 (x = 0, p > 0: the limit, where the formula gives 0·(−∞)).
    private readonly struct PowExponentGradient<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Invoke(ReadOnlySpan<T> y, ReadOnlySpan<T> x, Span<T> d)
        {
            TensorPrimitives.Log(x, d);
            TensorPrimitives.Multiply(d, y, d);
            for (int i = 0; i < d.Length; i++) if (y[i] == T.Zero) d[i] = T.Zero;
        }

        public static void Invoke(ReadOnlySpan<T> y, T x, Span<T> d)
        {
            TensorPrimitives.Multiply(y, T.Log(x), d);
            for (int i = 0; i < d.Length; i++) if (y[i] == T.Zero) d[i] = T.Zero;
        }

        public static void Invoke(T y, ReadOnlySpan<T> x, Span<T> d)
        {
            if (y == T.Zero) { d.Clear(); return; }
            TensorPrimitives.Log(x, d);
            TensorPrimitives.Multiply(d, y, d);
        }
    }

    // ---- Exp, Log, Sqrt, Square

    /// <summary>eˣ elementwise.</summary>
    public static Tensor<T> Exp<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Exp", x, TensorPrimitives.Exp, ExpBackward, saveOutput: true);

    private static void ExpBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx)) InPlace.AddProduct(gx, gy, e.Saved!.AsReadOnlySpan()); // gx += gy·y
    }

    /// <summary>Natural logarithm elementwise (−∞ at 0, NaN below).</summary>
    public static Tensor<T> Log<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Log", x, TensorPrimitives.Log, LogBackward);

    private static void LogBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        using var t = Scratch<T>.Rent(gy.Length);
        TensorPrimitives.Divide(gy, e.A!.AsReadOnlySpan(), t.Span);  // gx += gy / x
        InPlace.Add(gx, t.Span);
    }

    /// <summary>√x elementwise.</summary>
    public static Tensor<T> Sqrt<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Sqrt", x, TensorPrimitives.Sqrt, SqrtBackward, saveOutput: true);

    private static void SqrtBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        using var t = Scratch<T>.Rent(gy.Length);
        TensorPrimitives.Divide(gy, e.Saved!.AsReadOnlySpan(), t.Span);             // gy / √x
        InPlace.AddScaled(gx, t.Span, T.CreateTruncating(0.5));  // gx += ½·gy/√x
    }

    /// <summary>x² elementwise.</summary>
    public static Tensor<T> Square<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x.AsReadOnlySpan(), x.AsReadOnlySpan(), y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Square", y, SquareBackward, x);
        else Tape<T>.CheckForward("Square", y);
        return y;
    }

    private static void SquareBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        using var t = Scratch<T>.Rent(gy.Length);
        TensorPrimitives.Multiply(gy, e.A!.AsReadOnlySpan(), t.Span);
        InPlace.AddScaled(gx, t.Span, T.CreateTruncating(2));  // gx += 2·x·gy
    }

    // ---- Abs, Clamp (piecewise linear: the gradient is a mask)

    /// <summary>|x| elementwise; the subgradient at 0 is taken as 0 (like PyTorch).</summary>
    public static Tensor<T> Abs<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Unary("Abs", x, TensorPrimitives.Abs, AbsBackward);

    private static void AbsBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        var x = e.A!.AsReadOnlySpan();
        for (int i = 0; i < gx.Length; i++)
        {
            if (x[i] > T.Zero) gx[i] += gy[i];
            else if (x[i] < T.Zero) gx[i] -= gy[i];
        }
    }

    /// <summary>
    /// min(max(x, min), max) elementwise. The gradient is 1 where min ≤ x ≤ max (bounds included, like PyTorch) and 0 outside.
    /// Either bound may be infinite for a one-sided clamp.
    /// </summary>
    public static Tensor<T> Clamp<T>(this Tensor<T> x, T min, T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (T.IsNaN(min) || T.IsNaN(max))
            throw new ArgumentException($"Clamp: bounds must not be NaN (min {min}, max {max}; input shape {x.Shape}).");
        if (min > max)
            throw new ArgumentException($"Clamp: min {min} is greater than max {max} (input shape {x.Shape}).");
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Max(x.AsReadOnlySpan(), min, y.AsSpan());
        TensorPrimitives.Min(y.AsSpan(), max, y.AsSpan());
        if (Tape<T>.ShouldRecord(x))
        {
            ref var e = ref Tape<T>.Record("Clamp", y, ClampBackward, x);
            e.X0 = min; e.X1 = max;
        }
        else Tape<T>.CheckForward("Clamp", y);
        return y;
    }

    private static void ClampBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        var x = e.A!.AsReadOnlySpan();
        T min = e.X0, max = e.X1;
        for (int i = 0; i < gx.Length; i++)
            if (x[i] >= min && x[i] <= max) gx[i] += gy[i];
    }
}
