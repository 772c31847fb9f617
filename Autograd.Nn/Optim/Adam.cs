using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Adam with PyTorch's exact update (torch.optim.Adam, no amsgrad): with t the step count,
/// g ← grad + λ·p (L2 penalty), m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε). Each parameter group may set its own lr, λ and betas.
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly AdamGroup[] _groups;
    private readonly T[][] _m, _v;
    private readonly long[] _steps;
    private readonly bool _decoupled;

    /// <summary>Decay rate of the first-moment average, for groups that do not set their own betas.</summary>
    public double Beta1 { get; }

    /// <summary>Decay rate of the second-moment average, for groups that do not set their own betas.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability (every group).</summary>
    public double Epsilon { get; }

    /// <summary>Weight decay λ of groups that do not set their own: an L2 penalty in the gradient for Adam, a decoupled shrink for AdamW.</summary>
    public double WeightDecay { get; }

    /// <summary>Creates Adam over one group, with an L2 penalty <paramref name="weightDecay"/> added to the gradient.</summary>
    public Adam(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup<T>(parameters)], lr, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates Adam over parameter groups; the arguments are the values of groups that do not set their own.</summary>
    public Adam(IEnumerable<ParamGroup<T>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(groups, lr, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>For AdamW: <paramref name="decoupled"/> shrinks the parameter instead of adding λ·p to the gradient.</summary>
    protected Adam(IEnumerable<ParamGroup<T>> groups, double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(groups, (spec, group, op) => Resolve(spec, group, op, lr, beta1, beta2, eps, weightDecay))
    {
        Beta1 = beta1; Beta2 = beta2; Epsilon = eps; WeightDecay = weightDecay;
        _decoupled = decoupled;
        _groups = Groups.Cast<AdamGroup>().ToArray();
        _m = NewStateBuffers();
        _v = NewStateBuffers();
        _steps = new long[Parameters.Count];
    }

    private static AdamGroup Resolve(ParamGroup<T> spec, int group, string op, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        RejectOption(spec.Momentum is not null, "momentum", op, group);
        var (b1, b2) = spec.Betas ?? (beta1, beta2);
        string where = $"{op} group {group}";
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"{where}: beta1 must be in [0, 1), got {b1}.");
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"{where}: beta2 must be in [0, 1), got {b2}.");
        double rate = spec.LearningRate ?? lr, decay = spec.WeightDecay ?? weightDecay;
        CheckNonNegative(rate, "lr", where);
        CheckNonNegative(eps, nameof(eps), where);
        CheckNonNegative(decay, nameof(weightDecay), where);
        return new AdamGroup(rate, decay, b1, b2, eps);
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        var group = _groups[GroupOf(index)];
        long t = ++_steps[index];
        double lr = group.LearningRate, beta1 = group.Beta1, beta2 = group.Beta2;
        ReadOnlySpan<T> g = grad;
        var s1 = Scratch1(p.Length);
        var s2 = Scratch2(p.Length);
        if (group.WeightDecay != 0)
        {
            if (_decoupled) InPlace.Scale(p, T.CreateChecked(1 - lr * group.WeightDecay));
            else
            {
                TensorPrimitives.MultiplyAdd(p, T.CreateChecked(group.WeightDecay), grad, s1);
                g = s1;
            }
        }
        var m = _m[index].AsSpan();
        var v = _v[index].AsSpan();
        InPlace.Scale(m, T.CreateChecked(beta1));
        InPlace.AddScaled(m, g, T.CreateChecked(1 - beta1));
        InPlace.Scale(v, T.CreateChecked(beta2));
        TensorPrimitives.Multiply(g, T.CreateChecked(1 - beta2), s2);
        InPlace.AddProduct(v, s2, g);                                        // v += (1−β₂)·g·g
        // Moments of a gradient that stays 0 decay into subnormals, which x86 computes ~100× slower.
        InPlace.FlushSubnormals(m);
        InPlace.FlushSubnormals(v);

        double biasCorrection1 = 1 - Math.Pow(beta1, t);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, t));
        TensorPrimitives.Sqrt(v, s2);
        InPlace.Scale(s2, T.CreateChecked(1 / biasCorrection2Sqrt));
        InPlace.AddScalar(s2, T.CreateChecked(group.Epsilon));               // denominator
        TensorPrimitives.Divide(m, s2, s2);
        InPlace.AddScaled(p, s2, T.CreateChecked(-lr / biasCorrection1));
    }

    private static readonly StateNames MomentState = new(["exp_avg", "exp_avg_sq"], ["step"]);

    internal override StateNames StateNamesOf(int index) => MomentState;

    internal override ParameterState<T>? SaveState(int index)
    {
        if (_steps[index] == 0) return null;
        var state = new ParameterState<T>();
        state.Arrays["exp_avg"] = _m[index];
        state.Arrays["exp_avg_sq"] = _v[index];
        state.Counters["step"] = _steps[index];
        return state;
    }

    internal override void LoadState(int index, ParameterState<T>? state)
    {
        if (state is null)
        {
            Array.Clear(_m[index]);
            Array.Clear(_v[index]);
            _steps[index] = 0;
            return;
        }
        state.Arrays["exp_avg"].CopyTo(_m[index], 0);
        state.Arrays["exp_avg_sq"].CopyTo(_v[index], 0);
        _steps[index] = state.Counters["step"];
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam whose weight decay is decoupled from the gradient: p ← p·(1 − lr·λ) before
/// the Adam update, so the decay is not rescaled by the adaptive denominator. PyTorch's default λ is 0.01.
/// </summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates AdamW over one group.</summary>
    public AdamW(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base([new ParamGroup<T>(parameters)], lr, beta1, beta2, eps, weightDecay, decoupled: true) { }

    /// <summary>Creates AdamW over parameter groups; the arguments are the values of groups that do not set their own.</summary>
    public AdamW(IEnumerable<ParamGroup<T>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(groups, lr, beta1, beta2, eps, weightDecay, decoupled: true) { }
}
