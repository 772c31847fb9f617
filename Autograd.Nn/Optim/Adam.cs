using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Adam with PyTorch's exact update (torch.optim.Adam, no amsgrad): with t the step count,
/// g ← grad + λ·p (L2 penalty), m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _m, _v;
    private readonly int[] _steps;
    private readonly bool _decoupled;

    /// <summary>Decay rate of the first-moment average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay rate of the second-moment average.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability.</summary>
    public double Epsilon { get; }

    /// <summary>Weight decay λ: an L2 penalty in the gradient for Adam, a decoupled shrink for AdamW.</summary>
    public double WeightDecay { get; }

    /// <summary>Creates Adam with an L2 penalty <paramref name="weightDecay"/> added to the gradient.</summary>
    public Adam(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>For AdamW: <paramref name="decoupled"/> shrinks the parameter instead of adding λ·p to the gradient.</summary>
    protected Adam(IEnumerable<Tensor<T>> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, lr)
    {
        string op = GetType().Name.Split('`')[0];
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"{op}: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"{op}: beta2 must be in [0, 1), got {beta2}.");
        CheckNonNegative(eps, nameof(eps), op);
        CheckNonNegative(weightDecay, nameof(weightDecay), op);
        Beta1 = beta1; Beta2 = beta2; Epsilon = eps; WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = NewStateBuffers();
        _v = NewStateBuffers();
        _steps = new int[Parameters.Count];
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        int t = ++_steps[index];
        double lr = LearningRate;
        ReadOnlySpan<T> g = grad;
        var s1 = Scratch1(p.Length);
        var s2 = Scratch2(p.Length);
        if (WeightDecay != 0)
        {
            if (_decoupled) InPlace.Scale(p, T.CreateChecked(1 - lr * WeightDecay));
            else
            {
                TensorPrimitives.MultiplyAdd(p, T.CreateChecked(WeightDecay), grad, s1);
                g = s1;
            }
        }
        var m = _m[index].AsSpan();
        var v = _v[index].AsSpan();
        InPlace.Scale(m, T.CreateChecked(Beta1));
        InPlace.AddScaled(m, g, T.CreateChecked(1 - Beta1));
        InPlace.Scale(v, T.CreateChecked(Beta2));
        TensorPrimitives.Multiply(g, T.CreateChecked(1 - Beta2), s2);
        InPlace.AddProduct(v, s2, g);                                        // v += (1−β₂)·g·g
        // Moments of a gradient that stays 0 decay into subnormals, which x86 computes ~100× slower.
        InPlace.FlushSubnormals(m);
        InPlace.FlushSubnormals(v);

        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, t));
        TensorPrimitives.Sqrt(v, s2);
        InPlace.Scale(s2, T.CreateChecked(1 / biasCorrection2Sqrt));
        InPlace.AddScalar(s2, T.CreateChecked(Epsilon));                     // denominator
        TensorPrimitives.Divide(m, s2, s2);
        InPlace.AddScaled(p, s2, T.CreateChecked(-lr / biasCorrection1));
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam whose weight decay is decoupled from the gradient: p ← p·(1 − lr·λ) before
/// the Adam update, so the decay is not rescaled by the adaptive denominator. PyTorch's default λ is 0.01.
/// </summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates AdamW.</summary>
    public AdamW(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true) { }
}
