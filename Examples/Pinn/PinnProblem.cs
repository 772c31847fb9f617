using Autograd.Nn;

namespace Autograd.Examples.Pinn;

/// <summary>
/// The pinn example's network, collocation points and training step: a tanh MLP 1→<see cref="Hidden"/>→<see cref="Hidden"/>→1
/// in float64, Adam, u″ from the tape (the gradient of the gradient, recorded with createGraph). The `pinn` command and
/// the PINN benchmark of Autograd.Benchmarks run this same step.
/// </summary>
internal sealed class PinnProblem
{
    /// <summary>Width of the two hidden layers.</summary>
    public const int Hidden = 32;

    private readonly Adam<double> _optimizer;
    private readonly Tensor<double> _x, _source, _boundary, _ones;

    public Sequential<double> Model { get; }

    public PinnProblem(int points, double learningRate, ulong seed)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "pinn: at least 2 collocation points (both ends of [0, 1]).");
        var rng = new Rng(seed);
        Model = new Sequential<double>(
            new Linear<double>(1, Hidden, rng: rng), new Tanh<double>(),
            new Linear<double>(Hidden, Hidden, rng: rng), new Tanh<double>(),
            new Linear<double>(Hidden, 1, rng: rng));
        _optimizer = new Adam<double>(Model.Parameters(), lr: learningRate);
        // Collocation points: an even grid over [0, 1] (both ends included); the source term at each.
        _x = Tensor.FromArray(Enumerable.Range(0, points).Select(i => i / (double)(points - 1)).ToArray(), points, 1);
        _x.RequiresGrad = true;
        _source = Tensor.FromArray(_x.ToArray().Select(v => Math.PI * Math.PI * Math.Sin(Math.PI * v)).ToArray(), points, 1);
        _boundary = Tensor.FromArray(new[] { 0.0, 1.0 }, 2, 1);
        _ones = Tensor.Ones<double>(points, 1);
    }

    /// <summary>
    /// One training step: the loss (mean squared residual of u″ + π² sin(πx) at the collocation points plus the squared
    /// boundary values), its gradient with respect to the weights through both recorded derivatives, and Adam's update.
    /// Returns the loss before the update.
    /// </summary>
    public double Step()
    {
        using (TensorScope.Begin())
        {
            var u = Model.Forward(_x);
            var du = Functional.Grad(u, _x, _ones, createGraph: true);     // u′ at every point (each u_i depends on x_i only)
            var d2u = Functional.Grad(du, _x, _ones, createGraph: true);   // u″
            var residual = d2u.Add(_source);                               // u″ + π² sin(πx) = 0
            var total = residual.Square().Mean().Add(Model.Forward(_boundary).Square().Sum());
            _optimizer.ZeroGrad();
            total.Backward();
            _optimizer.Step();
            return total.Item();
        }
    }
}
