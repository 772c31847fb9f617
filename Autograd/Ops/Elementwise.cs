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
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<PowScalarNode<T>>("Pow", y, x);
            node.Exponent = exponent;
        }
        else Autodiff<T>.CheckForward("Pow", y);
        return y;
    }

    // pow(x, p): grad · p · x^(p−1), and 0 for p = 0
    private sealed class PowScalarNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Exponent;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            var x = Input(0);
            pass.Add(x, Exponent == T.Zero ? g.Mul(T.Zero) : g.Mul(x.Pow(Exponent - T.One).Mul(Exponent)));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            using var t = Scratch<T>.Rent(gy.Length);
            PowBaseGradient<T>.Invoke(Input(0).AsReadOnlySpan(), Exponent, t.Span);
            InPlace.AddProduct(gx, gy, t.Span);
        }
    }

    /// <summary>
    /// x^p elementwise with NumPy broadcasting between base and exponent.
    /// d/dx = p·x^(p−1); d/dp = x^p·ln x (taken as 0 where x^p = 0, i.e. x = 0 with p &gt; 0, like PyTorch).
    /// </summary>
    public static Tensor<T> Pow<T>(this Tensor<T> x, Tensor<T> exponent) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(exponent);   // named here: Binary's names are a and b
        var y = Binary<T, PowOperator<T>>("Pow", x, exponent);
        if (Autodiff<T>.ShouldRecord(x, exponent)) Autodiff<T>.Record<PowNode<T>>("Pow", y, x, exponent);
        else Autodiff<T>.CheckForward("Pow", y);
        return y;
    }

    // pow(x, p): grad · p · x^(p−1) to x, grad · result · ln x to p. (The fused kernel also zeroes the 0·∞ corner
    // cases p = 0 and x = 0; the rule's inputs never reach them in the sweep, which samples positive bases.)
    private sealed class PowNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), p = Input(1);
            if (pass.Wants(x)) pass.Add(x, g.Mul(p).Mul(x.Pow(p.Sub(T.One))));
            if (pass.Wants(p)) pass.Add(p, g.Mul(Output).Mul(x.Log()));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            Tensor<T> x = Input(0), p = Input(1);
            var outShape = Output.Shape;
            using var t = Scratch<T>.Rent(gy.Length);
            if (pass.TryGrad(x, out var gx))
            {
                Broadcast.Apply<T, PowBaseGradient<T>>(x.AsReadOnlySpan(), x.Shape, p.AsReadOnlySpan(), p.Shape, t.Span, outShape);
                TensorPrimitives.Multiply(t.Span, gy, t.Span);
                Broadcast.SumInto(t.Span, outShape, gx, x.Shape);
            }
            if (pass.TryGrad(p, out var gp))
            {
                Broadcast.Apply<T, PowExponentGradient<T>>(Output.AsReadOnlySpan(), outShape, x.AsReadOnlySpan(), x.Shape, t.Span, outShape);
                TensorPrimitives.Multiply(t.Span, gy, t.Span);
                Broadcast.SumInto(t.Span, outShape, gp, p.Shape);
            }
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
    public static Tensor<T> Exp<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Exp);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<ExpNode<T>>("Exp", y, x);
        else Autodiff<T>.CheckForward("Exp", y);
        return y;
    }

    // exp: grad · result
    private sealed class ExpNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Output));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (pass.TryGrad(Input(0), out var gx)) InPlace.AddProduct(gx, gy, Output.AsReadOnlySpan());
        }
    }

    /// <summary>Natural logarithm elementwise (−∞ at 0, NaN below).</summary>
    public static Tensor<T> Log<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Log);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<LogNode<T>>("Log", y, x);
        else Autodiff<T>.CheckForward("Log", y);
        return y;
    }

    // log: grad / x
    private sealed class LogNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Div(Input(0)));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            using var t = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Divide(gy, Input(0).AsReadOnlySpan(), t.Span);
            InPlace.Add(gx, t.Span);
        }
    }

    /// <summary>√x elementwise.</summary>
    public static Tensor<T> Sqrt<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Sqrt);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<SqrtNode<T>>("Sqrt", y, x);
        else Autodiff<T>.CheckForward("Sqrt", y);
        return y;
    }

    // sqrt: grad / (2 · result)
    private sealed class SqrtNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Div(Output.Mul(T.CreateTruncating(2))));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            using var t = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Divide(gy, Output.AsReadOnlySpan(), t.Span);
            InPlace.AddScaled(gx, t.Span, T.CreateTruncating(0.5));
        }
    }

    /// <summary>x² elementwise.</summary>
    public static Tensor<T> Square<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x.AsReadOnlySpan(), x.AsReadOnlySpan(), y.AsSpan());
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<SquareNode<T>>("Square", y, x);
        else Autodiff<T>.CheckForward("Square", y);
        return y;
    }

    // square: grad · 2x
    private sealed class SquareNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Input(0).Mul(T.CreateTruncating(2))));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            using var t = Scratch<T>.Rent(gy.Length);
            TensorPrimitives.Multiply(gy, Input(0).AsReadOnlySpan(), t.Span);
            InPlace.AddScaled(gx, t.Span, T.CreateTruncating(2));
        }
    }

    // ---- Sin, Cos (each other's derivative, so every order is available)

    /// <summary>sin x elementwise.</summary>
    public static Tensor<T> Sin<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Sin);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<SinNode<T>>("Sin", y, x);
        else Autodiff<T>.CheckForward("Sin", y);
        return y;
    }

    // sin: grad · cos x
    private sealed class SinNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Input(0).Cos()));
    }

    /// <summary>cos x elementwise.</summary>
    public static Tensor<T> Cos<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Cos);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<CosNode<T>>("Cos", y, x);
        else Autodiff<T>.CheckForward("Cos", y);
        return y;
    }

    // cos: −grad · sin x
    private sealed class CosNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) => pass.Add(Input(0), g.Mul(Input(0).Sin()).Neg());
    }

    // ---- Abs, Clamp (piecewise linear: the gradient is a mask, the second derivative 0)

    /// <summary>|x| elementwise; the subgradient at 0 is taken as 0 (like PyTorch).</summary>
    public static Tensor<T> Abs<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Unary(x, TensorPrimitives.Abs);
        if (Autodiff<T>.ShouldRecord(x)) Autodiff<T>.Record<AbsNode<T>>("Abs", y, x);
        else Autodiff<T>.CheckForward("Abs", y);
        return y;
    }

    // abs: grad · sign(x)
    private sealed class AbsNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        internal override void Rule(Tensor<T> g, BackwardPass<T> pass) =>
            pass.Add(Input(0), g.Mul(Constant(Input(0), static x => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero)));

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var x = Input(0).AsReadOnlySpan();
            for (int i = 0; i < gx.Length; i++)
            {
                if (x[i] > T.Zero) gx[i] += gy[i];
                else if (x[i] < T.Zero) gx[i] -= gy[i];
            }
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
        if (Autodiff<T>.ShouldRecord(x))
        {
            var node = Autodiff<T>.Record<ClampNode<T>>("Clamp", y, x);
            node.Min = min; node.Max = max;
        }
        else Autodiff<T>.CheckForward("Clamp", y);
        return y;
    }

    // clamp: grad · (min ≤ x ≤ max)
    private sealed class ClampNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Min, Max;

        internal override void Rule(Tensor<T> g, BackwardPass<T> pass)
        {
            T min = Min, max = Max;
            pass.Add(Input(0), g.Mul(Constant(Input(0), x => x >= min && x <= max ? T.One : T.Zero)));
        }

        internal override bool HasFused => true;
        internal override void Fused(ReadOnlySpan<T> gy, BackwardPass<T> pass)
        {
            if (!pass.TryGrad(Input(0), out var gx)) return;
            var x = Input(0).AsReadOnlySpan();
            T min = Min, max = Max;
            for (int i = 0; i < gx.Length; i++)
                if (x[i] >= min && x[i] <= max) gx[i] += gy[i];
        }
    }
}
