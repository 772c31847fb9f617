using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Autograd;

public sealed partial class Tensor<T>
{
    /// <summary>Elementwise sum with broadcasting (recorded as <see cref="Ops.Add{T}(Tensor{T}, Tensor{T})"/>).</summary>
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => a.Add(b);
    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => a.Sub(b);
    /// <summary>Elementwise product with broadcasting (not the matrix product: see MatMul).</summary>
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => a.Mul(b);
    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => a.Div(b);
    /// <summary>Negation.</summary>
    public static Tensor<T> operator -(Tensor<T> a) => a.Neg();

    // ---- tensor ∘ scalar, both orders

    /// <summary>t + s elementwise.</summary>
    public static Tensor<T> operator +(Tensor<T> t, T s) => t.Add(s);
    /// <summary>s + t elementwise.</summary>
    public static Tensor<T> operator +(T s, Tensor<T> t) => t.Add(s);
    /// <summary>t − s elementwise.</summary>
    public static Tensor<T> operator -(Tensor<T> t, T s) => t.Sub(s);
    /// <summary>s − t elementwise.</summary>
    public static Tensor<T> operator -(T s, Tensor<T> t) => Ops.RSub(s, t);
    /// <summary>t · s elementwise.</summary>
    public static Tensor<T> operator *(Tensor<T> t, T s) => t.Mul(s);
    /// <summary>s · t elementwise.</summary>
    public static Tensor<T> operator *(T s, Tensor<T> t) => t.Mul(s);
    /// <summary>t / s elementwise.</summary>
    public static Tensor<T> operator /(Tensor<T> t, T s) => t.Div(s);
    /// <summary>s / t elementwise.</summary>
    public static Tensor<T> operator /(T s, Tensor<T> t) => Ops.RDiv(s, t);

    // ---- tensor ∘ double, both orders, so that x * 0.5 and 1.0 - x read the same on a float tensor as on a double one.
    // On Tensor<double> these are the ones chosen (a non-generic parameter is more specific than T) and do the same;
    // in generic code over T the ones above still bind a T.

    /// <summary>t + s elementwise; s is rounded to T once (a finite s beyond T's range is an error, not an infinity).</summary>
    public static Tensor<T> operator +(Tensor<T> t, double s) => t.Add(ScalarOf(s, "AddScalar"));
    /// <summary>s + t elementwise.</summary>
    public static Tensor<T> operator +(double s, Tensor<T> t) => t.Add(ScalarOf(s, "AddScalar"));
    /// <summary>t − s elementwise.</summary>
    public static Tensor<T> operator -(Tensor<T> t, double s) => t.Sub(ScalarOf(s, "SubScalar"));
    /// <summary>s − t elementwise.</summary>
    public static Tensor<T> operator -(double s, Tensor<T> t) => Ops.RSub(ScalarOf(s, "RSubScalar"), t);
    /// <summary>t · s elementwise.</summary>
    public static Tensor<T> operator *(Tensor<T> t, double s) => t.Mul(ScalarOf(s, "MulScalar"));
    /// <summary>s · t elementwise.</summary>
    public static Tensor<T> operator *(double s, Tensor<T> t) => t.Mul(ScalarOf(s, "MulScalar"));
    /// <summary>t / s elementwise.</summary>
    public static Tensor<T> operator /(Tensor<T> t, double s) => t.Div(ScalarOf(s, "DivScalar"));
    /// <summary>s / t elementwise.</summary>
    public static Tensor<T> operator /(double s, Tensor<T> t) => Ops.RDiv(ScalarOf(s, "RDivScalar"), t);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ScalarOf(double s, string op)
    {
        var value = T.CreateChecked(s);
        // float32 saturates 1e300 to +∞; NaN and ±∞ themselves go through, as the T operators let them.
        if (T.IsInfinity(value) && double.IsFinite(s)) ThrowScalarOutOfRange(s, op);
        return value;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowScalarOutOfRange(double s, string op) =>
        throw new ArgumentOutOfRangeException(nameof(s), s, $"{op}: the scalar {s} is outside the range of {DType}.");
}
