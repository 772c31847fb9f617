using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Stochastic gradient descent with PyTorch's exact update (torch.optim.SGD):
/// g ← grad + λ·p; with momentum μ: b ← g on the first step, else b ← μ·b + (1−τ)·g, then g ← g + μ·b (Nesterov)
/// or g ← b; finally p ← p − lr·g.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][]? _momentumBuffers;
    private readonly bool[] _started;

    /// <summary>Momentum factor μ (0 disables momentum).</summary>
    public double Momentum { get; }

    /// <summary>Dampening τ of the gradient added to the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>Creates the optimizer; Nesterov needs momentum &gt; 0 and zero dampening (as in PyTorch).</summary>
    public Sgd(IEnumerable<Tensor<T>> parameters, double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
        : base(parameters, lr)
    {
        CheckNonNegative(momentum, nameof(momentum), "Sgd");
        CheckNonNegative(weightDecay, nameof(weightDecay), "Sgd");
        CheckNonNegative(dampening, nameof(dampening), "Sgd");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Sgd: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum={momentum}, dampening={dampening}).");
        Momentum = momentum; Nesterov = nesterov; WeightDecay = weightDecay; Dampening = dampening;
        _started = new bool[Parameters.Count];
        if (momentum != 0) _momentumBuffers = NewStateBuffers();
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        ReadOnlySpan<T> g = grad;
        var tmp = Scratch1(p.Length);
        if (WeightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(p, T.CreateChecked(WeightDecay), grad, tmp);   // g = grad + λ·p
            g = tmp;
        }
        if (_momentumBuffers is not null)
        {
            var buf = _momentumBuffers[index];
            if (!_started[index])
            {
                g.CopyTo(buf);
                _started[index] = true;
            }
            else if (!Nesterov)
            {
                // The common case in one pass over parameter, velocity and gradient.
                InPlace.MomentumStep(p, buf, g, T.CreateChecked(Momentum), T.CreateChecked(1 - Dampening), T.CreateChecked(-LearningRate));
                return;
            }
            else
            {
                InPlace.Scale(buf, T.CreateChecked(Momentum));
                InPlace.AddScaled(buf, g, T.CreateChecked(1 - Dampening));
            }
            if (Nesterov)
            {
                TensorPrimitives.MultiplyAdd(buf, T.CreateChecked(Momentum), g, tmp);   // g + μ·b (g may be tmp: elementwise, safe)
                g = tmp;
            }
            else g = buf;
        }
        InPlace.AddScaled(p, g, T.CreateChecked(-LearningRate));
    }
}
