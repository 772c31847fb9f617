using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Stochastic gradient descent with PyTorch's exact update (torch.optim.SGD):
/// g ← grad + λ·p; with momentum μ: b ← g on the first step, else b ← μ·b + (1−τ)·g, then g ← g + μ·b (Nesterov)
/// or g ← b; finally p ← p − lr·g. Each parameter group may set its own lr, λ and μ.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SgdGroup[] _groups;
    private readonly T[]?[] _momentumBuffers;   // null for a parameter whose group has no momentum
    private readonly bool[] _started;

    /// <summary>Momentum factor μ of groups that do not set their own (0 disables momentum).</summary>
    public double Momentum { get; }

    /// <summary>Dampening τ of the gradient added to the momentum buffer (every group).</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty λ added to the gradient, for groups that do not set their own.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used (every group).</summary>
    public bool Nesterov { get; }

    /// <summary>Creates the optimizer over one group; Nesterov needs momentum &gt; 0 and zero dampening (as in PyTorch).</summary>
    public Sgd(IEnumerable<Tensor<T>> parameters, double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
        : this([new ParamGroup<T>(parameters)], lr, momentum, nesterov, weightDecay, dampening) { }

    /// <summary>Creates the optimizer over parameter groups; the arguments are the values of groups that do not set their own.</summary>
    public Sgd(IEnumerable<ParamGroup<T>> groups, double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
        : base(groups, (spec, group, op) => Resolve(spec, group, op, lr, momentum, nesterov, weightDecay, dampening))
    {
        Momentum = momentum; Nesterov = nesterov; WeightDecay = weightDecay; Dampening = dampening;
        _groups = Groups.Cast<SgdGroup>().ToArray();
        _started = new bool[Parameters.Count];
        _momentumBuffers = new T[]?[Parameters.Count];
        for (int i = 0; i < Parameters.Count; i++)
            if (_groups[GroupOf(i)].Momentum != 0) _momentumBuffers[i] = new T[Parameters[i].Length];
    }

    private static SgdGroup Resolve(ParamGroup<T> spec, int group, string op, double lr, double momentum, bool nesterov, double weightDecay, double dampening)
    {
        RejectOption(spec.Betas is not null, "betas", op, group);
        double rate = spec.LearningRate ?? lr, mu = spec.Momentum ?? momentum, decay = spec.WeightDecay ?? weightDecay;
        string where = $"{op} group {group}";
        CheckNonNegative(rate, "lr", where);
        CheckNonNegative(mu, nameof(momentum), where);
        CheckNonNegative(decay, nameof(weightDecay), where);
        CheckNonNegative(dampening, nameof(dampening), where);
        if (nesterov && (mu <= 0 || dampening != 0))
            throw new ArgumentException($"{where}: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum={mu}, dampening={dampening}).");
        return new SgdGroup(rate, decay, mu, dampening, nesterov);
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        var group = _groups[GroupOf(index)];
        ReadOnlySpan<T> g = grad;
        var tmp = Scratch1(p.Length);
        if (group.WeightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(p, T.CreateChecked(group.WeightDecay), grad, tmp);   // g = grad + λ·p
            g = tmp;
        }
        if (_momentumBuffers[index] is { } buf)
        {
            if (!_started[index])
            {
                g.CopyTo(buf);
                _started[index] = true;
            }
            else if (!group.Nesterov)
            {
                // The common case in one pass over parameter, velocity and gradient.
                InPlace.MomentumStep(p, buf, g, T.CreateChecked(group.Momentum), T.CreateChecked(1 - group.Dampening), T.CreateChecked(-group.LearningRate));
                return;
            }
            else
            {
                InPlace.Scale(buf, T.CreateChecked(group.Momentum));
                InPlace.AddScaled(buf, g, T.CreateChecked(1 - group.Dampening));
            }
            if (group.Nesterov)
            {
                TensorPrimitives.MultiplyAdd(buf, T.CreateChecked(group.Momentum), g, tmp);   // g + μ·b (g may be tmp: elementwise, safe)
                g = tmp;
            }
            else g = buf;
        }
        InPlace.AddScaled(p, g, T.CreateChecked(-group.LearningRate));
    }

    private static readonly StateNames MomentumState = new(["momentum_buffer"], []);

    internal override StateNames StateNamesOf(int index) => _momentumBuffers[index] is null ? StateNames.None : MomentumState;

    internal override ParameterState<T>? SaveState(int index)
    {
        if (_momentumBuffers[index] is not { } buffer || !_started[index]) return null;
        var state = new ParameterState<T>();
        state.Arrays["momentum_buffer"] = buffer;
        return state;
    }

    internal override void LoadState(int index, ParameterState<T>? state)
    {
        if (state is not null) state.Arrays["momentum_buffer"].CopyTo(_momentumBuffers[index]!, 0);
        _started[index] = state is not null;
    }
}
