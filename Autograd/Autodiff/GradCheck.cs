using System.Text;

namespace Autograd;

/// <summary>The outcome of <see cref="GradCheck.Run"/>: pass/fail and the worst element seen.</summary>
public sealed record GradCheckResult(bool Passed, double MaxAbsError, string Report)
{
    public override string ToString() => Report;
}

/// <summary>Thrown by <see cref="GradCheck.Assert"/> when analytic and numeric gradients disagree.</summary>
public sealed class GradCheckException(string message) : Exception(message);

/// <summary>
/// Compares the tape's gradients with central finite differences in float64, like torch.autograd.gradcheck:
/// an element passes when |analytic − numeric| ≤ atol + rtol·|numeric|. The whole Jacobian is checked:
/// one backward pass per output element, two forward passes per input element.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks <paramref name="f"/> at <paramref name="inputs"/> (every input with RequiresGrad); returns the result.</summary>
    public static GradCheckResult Run(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(f); ArgumentNullException.ThrowIfNull(inputs);
        var y0 = Forward(f, inputs, record: false);
        int outputs = y0.Length;
        var numeric = new double[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].RequiresGrad) numeric[i] = NumericJacobian(f, inputs, i, outputs, eps);

        var analytic = AnalyticJacobian(f, inputs, outputs);
        double worst = 0;
        string? failure = null;
        var report = new StringBuilder();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (numeric[i] is not { } num) continue;
            var ana = analytic[i];
            for (int idx = 0; idx < num.Length; idx++)
            {
                double err = Math.Abs(ana[idx] - num[idx]);
                bool ok = err <= atol + rtol * Math.Abs(num[idx]) && !double.IsNaN(ana[idx]);
                worst = Math.Max(worst, double.IsNaN(err) ? double.PositiveInfinity : err);
                if (!ok && failure is null)
                {
                    int element = idx / outputs, output = idx % outputs;
                    failure = $"GradCheck failed: input {i} (shape {inputs[i].Shape}), element {element}, output element {output}: " +
                              $"analytic {ana[idx]:R} vs numeric {num[idx]:R} (|diff| {err:G4} > atol {atol:G3} + rtol {rtol:G3}·|numeric|).";
                }
            }
        }
        report.Append(failure ?? $"GradCheck passed: {inputs.Count(t => t.RequiresGrad)} input(s), {outputs} output element(s), max |diff| {worst:G4}.");
        return new GradCheckResult(failure is null, worst, report.ToString());
    }

    /// <summary>Like <see cref="Run"/> but throws <see cref="GradCheckException"/> with the report on failure.</summary>
    public static void Assert(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        var r = Run(f, inputs, eps, atol, rtol);
        if (!r.Passed) throw new GradCheckException(r.Report);
    }

    /// <summary>
    /// The central-difference gradient of the scalar function <paramref name="loss"/> with respect to every element
    /// of <paramref name="x"/> (perturbed in place and restored). Runs under NoGrad.
    /// </summary>
    public static double[] NumericGradient(Func<double> loss, Tensor<double> x, double eps = 1e-6)
    {
        var g = new double[x.Length];
        var data = x.AsSpan();
        using var _ = Grad.NoGrad();
        for (int j = 0; j < g.Length; j++)
        {
            double saved = data[j];
            data[j] = saved + eps; double plus = loss();
            data = x.AsSpan(); data[j] = saved - eps; double minus = loss();
            data = x.AsSpan(); data[j] = saved;
            g[j] = (plus - minus) / (2 * eps);
        }
        return g;
    }

    private static Tensor<double> Forward(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs, bool record)
    {
        if (record) return f(inputs);
        using var _ = Grad.NoGrad();
        return f(inputs);
    }

    // Layout of a Jacobian: [input element, output element].
    private static double[] NumericJacobian(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs, int which, int outputs, double eps)
    {
        var x = inputs[which];
        var jac = new double[x.Length * outputs];
        for (int j = 0; j < x.Length; j++)
        {
            double saved = x.AsSpan()[j];
            x.AsSpan()[j] = saved + eps;
            var plus = Forward(f, inputs, record: false).ToArray();
            x.AsSpan()[j] = saved - eps;
            var minus = Forward(f, inputs, record: false).ToArray();
            x.AsSpan()[j] = saved;
            for (int o = 0; o < outputs; o++) jac[j * outputs + o] = (plus[o] - minus[o]) / (2 * eps);
        }
        return jac;
    }

    // Layout as above; one functional backward pass per output element (the inputs' Grad is not touched).
    private static double[][] AnalyticJacobian(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs, int outputs)
    {
        var jac = inputs.Select(t => new double[t.Length * outputs]).ToArray();
        var y = Forward(f, inputs, record: true);
        if (!y.RequiresGrad)
            throw new GradCheckException("GradCheck: the function's output does not require grad; mark at least one input with RequiresGrad = true.");
        var wanted = inputs.Where(t => t.RequiresGrad).ToArray();
        var seed = Tensor.Zeros<double>(y.Shape.Dimensions);
        for (int o = 0; o < outputs; o++)
        {
            seed.AsSpan().Clear();
            seed.AsSpan()[o] = 1;
            var grads = Functional.Grad([y], wanted, [seed], retainGraph: o < outputs - 1, allowUnused: true);
            for (int i = 0, w = 0; i < inputs.Length; i++)
            {
                if (!inputs[i].RequiresGrad) continue;
                if (grads[w++] is not { } g) continue;   // unused: a zero column
                var gs = g.AsReadOnlySpan();
                for (int j = 0; j < gs.Length; j++) jac[i][j * outputs + o] = gs[j];
            }
        }
        return jac;
    }

    /// <summary>
    /// Checks second derivatives, like torch.autograd.gradgradcheck: the first derivative g(x) = vᵀ·∂f/∂x for a fixed
    /// random <c>v</c> (seeded) is computed with createGraph, and its Jacobian, taken by differentiating the recorded
    /// gradient, is compared with central differences of g. Same tolerances as <see cref="Run"/>.
    /// </summary>
    public static GradCheckResult GradGradCheck(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, ulong seed = 7)
    {
        ArgumentNullException.ThrowIfNull(f); ArgumentNullException.ThrowIfNull(inputs);
        Tensor<double>? v = null;
        Tensor<double> FirstDerivative(Tensor<double>[] xs)
        {
            // Run's numeric passes call this under NoGrad; the first derivative still needs f's graph, recorded here,
            // but is itself recorded only in Run's analytic pass.
            bool recordFirst = Grad.IsEnabled;
            using var _ = Grad.Enable();
            var y = f(xs);
            if (!y.RequiresGrad)
                throw new GradCheckException("GradGradCheck: the function's output does not require grad; mark at least one input with RequiresGrad = true.");
            v ??= Tensor.Uniform<double>(y.Shape, 0.5, 1.5, new Rng(seed));
            var wanted = xs.Where(t => t.RequiresGrad).ToArray();
            var grads = Functional.Grad([y], wanted, [v], createGraph: recordFirst, allowUnused: true);
            var parts = new Tensor<double>[wanted.Length];
            for (int i = 0; i < wanted.Length; i++)
                parts[i] = (grads[i] ?? Tensor.Zeros<double>(wanted[i].Shape.Dimensions)).Reshape(-1);
            var first = parts.Concat(axis: 0);
            // A first derivative that no longer depends on the inputs (f linear in them) has a zero second derivative;
            // adding 0·x keeps it differentiable so the comparison below still runs.
            if (recordFirst && !first.RequiresGrad) first = first.Add(wanted[0].Reshape(-1).Sum().Mul(0.0));
            return first;
        }
        var result = Run(FirstDerivative, inputs, eps, atol, rtol);
        return result with { Report = result.Report.Replace("GradCheck", "GradGradCheck") };
    }

    /// <summary>Like <see cref="GradGradCheck"/> but throws <see cref="GradCheckException"/> with the report on failure.</summary>
    public static void AssertGradGrad(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        var r = GradGradCheck(f, inputs, eps, atol, rtol);
        if (!r.Passed) throw new GradCheckException(r.Report);
    }
}
