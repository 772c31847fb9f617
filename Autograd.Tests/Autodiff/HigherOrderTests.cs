namespace Autograd.Tests.Autodiff;

/// <summary>createGraph, the functional API and second derivatives, checked against finite differences in float64.</summary>
public class HigherOrderTests
{
    private static Tensor<double> Random(ulong seed, params int[] shape) => Tensor.Uniform<double>(new Shape(shape), -1, 1, new Rng(seed));

    // A small tanh MLP, 3 → 4 → 1, whose weights are fixed constants and whose input is the variable.
    private static readonly Tensor<double> W1 = Random(1, 4, 3), B1 = Random(2, 4), W2 = Random(3, 1, 4);

    private static Tensor<double> Mlp(Tensor<double> x) => x.Reshape(1, 3).Linear(W1, B1).Tanh().Linear(W2).Sum();

    private static double MlpValue(double[] x)
    {
        using var _ = Grad.NoGrad();
        return Mlp(Tensor.FromArray(x)).Item();
    }

    [Test]
    public void HessianOfASmallMlpMatchesFiniteDifferences()
    {
        var x = Random(4, 3);
        var hessian = Functional.Hessian(Mlp, x);
        Assert.That(hessian.Shape, Is.EqualTo(new Shape(3, 3)));
        const double h = 1e-4;
        var x0 = x.ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double F(double di, double dj) { var p = (double[])x0.Clone(); p[i] += di; p[j] += dj; return MlpValue(p); }
                double numeric = (F(h, h) - F(h, -h) - F(-h, h) + F(-h, -h)) / (4 * h * h);
                Assert.That(hessian[i, j], Is.EqualTo(numeric).Within(1e-6 + 1e-4 * Math.Abs(numeric)), $"H[{i}, {j}]");
            }
        Assert.That(hessian[0, 1], Is.EqualTo(hessian[1, 0]).Within(1e-12), "symmetric");
    }

    [Test]
    public void HvpIsTheHessianTimesV()
    {
        var x = Random(5, 3);
        var v = Random(6, 3);
        var hessian = Functional.Hessian(Mlp, x);
        var (value, hvp) = Functional.Hvp(Mlp, x, v);
        Assert.That(value.Item(), Is.EqualTo(MlpValue(x.ToArray())).Within(1e-12));
        for (int i = 0; i < 3; i++)
            Assert.That(hvp[i], Is.EqualTo(Enumerable.Range(0, 3).Sum(j => hessian[i, j] * v[j])).Within(1e-12));
    }

    private static Tensor<double> VectorFunction(Tensor<double> x) => x.Reshape(2, 3).Tanh().MatMul(Random(7, 3, 4)).Mul(x.Reshape(2, 3).Sum(1, keepDim: true));

    [Test]
    public void JvpIsTheJacobianTimesV()
    {
        var x = Random(8, 6);
        var v = Random(9, 6);
        var jacobian = Functional.Jacobian(VectorFunction, x);   // [2, 4, 6]
        Assert.That(jacobian.Shape, Is.EqualTo(new Shape(2, 4, 6)));
        var (y, jvp) = Functional.Jvp(VectorFunction, x, v);
        Assert.That(jvp.Shape, Is.EqualTo(y.Shape));
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 4; c++)
                Assert.That(jvp[r, c], Is.EqualTo(Enumerable.Range(0, 6).Sum(k => jacobian[r, c, k] * v[k])).Within(1e-12));
    }

    [Test]
    public void JacobianMatchesFiniteDifferences()
    {
        var x = Random(10, 6);
        var jacobian = Functional.Jacobian(VectorFunction, x);
        const double h = 1e-6;
        for (int k = 0; k < 6; k++)
        {
            Tensor<double> F(double d) { using var _ = Grad.NoGrad(); var p = x.Clone(); p[k] += d; return VectorFunction(p); }
            var plus = F(h).ToArray(); var minus = F(-h).ToArray();
            for (int o = 0; o < 8; o++)
                Assert.That(jacobian.AsReadOnlySpan()[o * 6 + k], Is.EqualTo((plus[o] - minus[o]) / (2 * h)).Within(1e-7));
        }
    }

    [Test]
    public void VjpMatchesAGradientWeightedByV()
    {
        var x = Random(11, 6);
        var v = Random(12, 2, 4);
        var jacobian = Functional.Jacobian(VectorFunction, x);
        var (_, vjp) = Functional.Vjp(VectorFunction, x, v);
        for (int k = 0; k < 6; k++)
            Assert.That(vjp[k], Is.EqualTo(Enumerable.Range(0, 8).Sum(o => v.AsReadOnlySpan()[o] * jacobian.AsReadOnlySpan()[o * 6 + k])).Within(1e-12));
    }

    // s″ from the tape, elementwise, as the PINN example takes u″.
    [Test]
    public void SecondDerivativeOfAScalarFunctionElementwise()
    {
        var x = Tensor.FromArray(new[] { -1.0, 0.3, 2.0 });
        x.RequiresGrad = true;
        var s = x.Exp().Mul(x);   // s = x·eˣ: s′ = (1 + x)eˣ, s″ = (2 + x)eˣ
        var ds = Functional.Grad(s, x, Tensor.Ones<double>(3), createGraph: true);
        var d2s = Functional.Grad(ds, x, Tensor.Ones<double>(3));
        var xs = x.ToArray();
        Assert.That(ds.ToArray(), Is.EqualTo(xs.Select(v => (1 + v) * Math.Exp(v))).Within(1e-12));
        Assert.That(d2s.ToArray(), Is.EqualTo(xs.Select(v => (2 + v) * Math.Exp(v))).Within(1e-12));
    }

    [Test]
    public void BackwardWithCreateGraphMakesGradDifferentiable()
    {
        var x = Tensor.FromArray(new[] { 0.5, -1.5 });
        x.RequiresGrad = true;
        x.Pow(3.0).Sum().Backward(createGraph: true);   // x.Grad = 3x²
        var g = x.Grad!;
        Assert.That(g.RequiresGrad, Is.True, "the gradient is recorded");
        var d2 = Functional.Grad(g.Sum(), x);           // 6x
        Assert.That(d2.ToArray(), Is.EqualTo(new[] { 3.0, -9.0 }).Within(1e-12));
        // An ordinary backward afterwards accumulates into a buffer of its own, not into the recorded gradient.
        x.Pow(2.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 3 * 0.25 + 1.0, 3 * 2.25 - 3.0 }).Within(1e-12));
        Assert.That(g.ToArray(), Is.EqualTo(new[] { 0.75, 6.75 }).Within(1e-12), "the recorded gradient is unchanged");
    }

    // WGAN-GP: λ(‖∂D/∂x‖ − 1)² back-propagated to D's parameters, against finite differences of the penalty.
    [Test]
    public void GradientPenaltyReachesTheCriticsParameters()
    {
        var w1 = Random(20, 5, 3); var b1 = Random(21, 5); var w2 = Random(22, 1, 5);
        foreach (var p in new[] { w1, b1, w2 }) p.RequiresGrad = true;
        var x = Random(23, 4, 3);
        Tensor<double> Critic(Tensor<double> input) => input.Linear(w1, b1).Tanh().Linear(w2);
        Tensor<double> Penalty()
        {
            var xi = x.Detach();
            xi.RequiresGrad = true;
            var d = Critic(xi).Sum();
            var g = Functional.Grad(d, xi, createGraph: true);             // [4, 3], one row per sample
            var norms = g.Square().Sum(1).Add(1e-12).Sqrt();
            return norms.Sub(1.0).Square().Mean().Mul(10.0);
        }
        var penalty = Penalty();
        penalty.Backward();
        foreach (var p in new[] { w1, b1, w2 })
        {
            var numeric = GradCheck.NumericGradient(() => { using var _ = Grad.Enable(); return Penalty().Item(); }, p);
            Assert.That(p.Grad!.ToArray(), Is.EqualTo(numeric).Within(1e-6), $"parameter {p.Shape}");
        }
    }

    [Test]
    public void GradWithAnUnusedInputThrowsUnlessAllowed()
    {
        var x = Random(30, 3); var unused = Random(31, 2);
        x.RequiresGrad = unused.RequiresGrad = true;
        var y = x.Square().Sum();
        var ex = Assert.Throws<InvalidOperationException>(() => Functional.Grad([y], [x, unused], retainGraph: true));
        Assert.That(ex!.Message, Does.Contain("input 1").And.Contain("allowUnused"));
        var grads = Functional.Grad([y], [x, unused], allowUnused: true);
        Assert.That(grads[1], Is.Null);
        Assert.That(grads[0]!.ToArray(), Is.EqualTo(x.ToArray().Select(v => 2 * v)).Within(1e-12));
        Assert.That(x.Grad, Is.Null, "Grad returns gradients without touching .Grad");
    }

    [Test]
    public void GradRejectsBadArguments()
    {
        var x = Random(32, 3);
        x.RequiresGrad = true;
        var y = x.Square();
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.Grad([y], [x]))!.Message, Does.Contain("implicit gradient"));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.Grad([y], [x], [Tensor.Ones<double>(2)]))!.Message, Does.Contain("[2]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.Grad([y], [Random(33, 3)], [Tensor.Ones<double>(3)]))!.Message, Does.Contain("does not require grad"));
    }

    private sealed class OnceOnly : CustomFunction<double>
    {
        protected override bool OnceDifferentiable => true;
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return inputs[0].Square();
        }
        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [grad * ctx.Saved[0] * 2.0];
    }

    [Test]
    public void CreateGraphThroughAnOpWithoutASecondOrderRuleNamesIt()
    {
        var x = Random(34, 3);
        x.RequiresGrad = true;
        var y = new OnceOnly().Apply(x).Sum();
        var ex = Assert.Throws<NotSupportedException>(() => Functional.Grad(y, x, createGraph: true));
        Assert.That(ex!.Message, Does.Contain("OnceOnly").And.Contain("second-order"));
        Assert.That(Functional.Grad(y, x).ToArray(), Is.EqualTo(x.ToArray().Select(v => 2 * v)).Within(1e-12), "first order still works");
    }

    [Test]
    public void SecondOrderTrainingStepsAnOptimizerOnParameterGradients()
    {
        // loss = Σ (∂f/∂x)² for f = tanh(w·x): its gradient with respect to w accumulates into w.Grad.
        var w = Random(40, 1, 3); w.RequiresGrad = true;
        var x = Random(41, 5, 3); x.RequiresGrad = true;
        Tensor<double> Loss()
        {
            var f = x.Linear(w).Tanh().Sum();
            return Functional.Grad(f, x, createGraph: true).Square().Sum();
        }
        Loss().Backward();
        var numeric = GradCheck.NumericGradient(() => { using var _ = Grad.Enable(); return Loss().Item(); }, w);
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(numeric).Within(1e-6));
    }

    // Two scalar roots, one computed from the other: each gets its own seed, and b's gradient flows through a.
    [Test]
    public void GradOfTwoScalarOutputsWhereOneFeedsTheOther()
    {
        var x = Tensor.FromArray(new[] { 0.5, 2.0 });
        x.RequiresGrad = true;
        var a = x.Square().Sum();   // da/dx = 2x
        var b = a.Mul(3.0);         // db/dx = 6x
        var g = Functional.Grad([a, b], [x])[0]!;
        Assert.That(g.ToArray(), Is.EqualTo(new[] { 4.0, 16.0 }).Within(1e-12));
    }
}
