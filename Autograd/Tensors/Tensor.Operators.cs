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
}
