using Autograd.Benchmarks.Linalg;
using Autograd.Examples.Pinn;
using Autograd.Nn;

namespace Autograd.Benchmarks.Networks;

/// <summary>
/// One training step of an Examples network on a batch, with the multiply-adds of its matrix products and convolutions:
/// the useful work that the GFLOP/s column divides by the time. Elementwise passes, pooling, losses and the update are not
/// counted (their share of each step's flops is in docs/BENCHMARKS.md).
/// </summary>
public sealed record StepCase(string Name, int Batch, long MultiplyAdds) : IFlopCount
{
    public double Flops => 2.0 * MultiplyAdds;

    /// <summary>ASCII, short: BenchmarkDotNet shortens parameter values beyond 20 characters.</summary>
    public override string ToString() => $"{Name} B{Batch}";

    /// <summary>
    /// Multiply-adds of one step of a feed-forward <paramref name="model"/> on <paramref name="x"/>: each Linear and Conv2d
    /// counts its forward product, as many for its weight gradient and as many again for its input gradient, except the
    /// first such layer, whose input is the data and gets no gradient. Shapes are taken from a forward pass (no gradients
    /// recorded), so the count follows the model as built.
    /// </summary>
    public static long TrainingMultiplyAdds(Sequential<float> model, Tensor<float> x)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        long total = 0;
        bool first = true;
        using (Grad.NoGrad())
        using (TensorScope.Begin())
        {
            var h = x;
            foreach (var module in model)
            {
                var y = module.Forward(h);
                long forward = module switch
                {
                    Linear<float> linear => (long)(h.Length / linear.InFeatures) * linear.InFeatures * linear.OutFeatures,
                    Conv2d<float> conv => (long)y.Length * (conv.InChannels / conv.Groups) * conv.KernelSize.Height * conv.KernelSize.Width,
                    _ => 0,
                };
                if (forward > 0)
                {
                    total += forward * (first ? 2 : 3);
                    first = false;
                }
                h = y;
            }
        }
        return total;
    }

    /// <summary>
    /// Multiply-adds of one step of the pinn example (<see cref="PinnProblem.Step"/>) with <paramref name="points"/>
    /// collocation points, hidden width H and the 2 boundary points. With N points the step's products are: u (x·W1ᵀ, h1·W2ᵀ,
    /// h2·W3ᵀ), u′ by a recorded backward (to h2, to h1, to x), u″ by a recorded backward through both (the H×H layer
    /// twice, the thin layers twice), the boundary forward, and the loss's backward to every parameter (and x), which
    /// differentiates each recorded H×H product with respect to both operands. That is 12 N·H² + 12 N·H at the
    /// collocation points and 3 B·H² + 5 B·H at the B = 2 boundary points; PyTorch's profiler (with_flops) counts the
    /// same 1,634,944 flops for the same step at N = 64, H = 32.
    /// </summary>
    public static long PinnMultiplyAdds(int points)
    {
        const int hidden = PinnProblem.Hidden, boundary = 2;
        return 12L * points * hidden * hidden + 12L * points * hidden + 3L * boundary * hidden * hidden + 5L * boundary * hidden;
    }
}
