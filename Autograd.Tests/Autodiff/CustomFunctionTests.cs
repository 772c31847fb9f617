using System.Diagnostics;

namespace Autograd.Tests.Autodiff;

/// <summary>User-defined differentiable functions: first and second derivatives, inside modules, misuse.</summary>
public class CustomFunctionTests
{
    /// <summary>log cosh x, stable for large |x|: |x| + log(1 + e^(−2|x|)) − log 2; d/dx = tanh x.</summary>
    private sealed class LogCosh : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
        {
            var x = inputs[0];
            ctx.SaveForBackward(x);
            var a = x.Abs();
            return a + (a * -2.0).Exp().Add(1.0).Log() - Math.Log(2);
        }

        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [grad * ctx.Saved[0].Tanh()];
    }

    /// <summary>Straight-through rounding: forward rounds, backward passes the gradient unchanged.</summary>
    private sealed class StraightThroughRound : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
        {
            var y = inputs[0].Clone();
            var s = y.AsSpan();
            for (int i = 0; i < s.Length; i++) s[i] = Math.Round(s[i]);
            return y;
        }

        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [grad];
    }

    /// <summary>a·b + a with broadcasting: two inputs, a gradient of broadcast shape for b.</summary>
    private sealed class ScaledSum : CustomFunction<double>
    {
        public int BackwardCalls;

        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
        {
            ctx.SaveForBackward(inputs);
            return inputs[0] * inputs[1] + inputs[0];
        }

        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad)
        {
            BackwardCalls++;
            var (a, b) = (ctx.Saved[0], ctx.Saved[1]);
            return [grad * b + grad, ctx.NeedsInputGrad(1) ? grad * a : null];
        }
    }

    private static Tensor<double> Input(ulong seed, params int[] shape)
    {
        var x = Tensor.Uniform<double>(new Shape(shape), -2, 2, new Rng(seed));
        x.RequiresGrad = true;
        return x;
    }

    [Test]
    public void LogCoshGradchecksAndGradgradchecks()
    {
        GradCheck.Assert(x => new LogCosh().Apply(x[0]), [Input(1, 3, 4)]);
        GradCheck.AssertGradGrad(x => new LogCosh().Apply(x[0]), [Input(2, 3, 4)]);
    }

    [Test]
    public void LogCoshIsStableWhereTheNaiveFormulaOverflows()
    {
        var x = Tensor.FromArray(new[] { -800.0, 0, 800 });
        x.RequiresGrad = true;
        var y = new LogCosh().Apply(x);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 800 - Math.Log(2), 0, 800 - Math.Log(2) }).Within(1e-9));
        using (Grad.NoGrad()) Assert.That((x.Exp() + x.Neg().Exp()).Mul(0.5).Log().ToArray()[0], Is.EqualTo(double.PositiveInfinity), "the naive formula overflows");
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { -1.0, 0, 1 }).Within(1e-12));
    }

    [Test]
    public void TwoInputsWithABroadcastGradient()
    {
        GradCheck.Assert(x => new ScaledSum().Apply(x[0], x[1]), [Input(3, 2, 3), Input(4, 3)]);
        GradCheck.AssertGradGrad(x => new ScaledSum().Apply(x[0], x[1]), [Input(5, 2, 3), Input(6, 3)]);
    }

    [Test]
    public void BackwardIsAskedOnlyForNeededInputs()
    {
        var a = Input(7, 2, 3);
        var b = Tensor.Uniform<double>(new Shape(3), -1, 1, new Rng(8));   // needs no gradient
        var f = new ScaledSum();
        f.Apply(a, b).Sum().Backward();
        Assert.That(f.BackwardCalls, Is.EqualTo(1));
        Assert.That(b.Grad, Is.Null);
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(Enumerable.Range(0, 6).Select(i => b.ToArray()[i % 3] + 1)).Within(1e-12));
    }

    [Test]
    public void StraightThroughEstimatorInsideAModuleTrains()
    {
        var w = Tensor.FromArray(new[] { 0.2, 0.7, -0.4 });
        w.RequiresGrad = true;
        var target = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 });
        var round = new StraightThroughRound();
        for (int step = 0; step < 200; step++)
        {
            var loss = round.Apply(w).MseLoss(target);
            w.ZeroGrad();
            loss.Backward();
            using (Grad.NoGrad()) w.AsSpan()[0] -= 0.1 * w.Grad![0];
            using (Grad.NoGrad()) { w.AsSpan()[1] -= 0.1 * w.Grad![1]; w.AsSpan()[2] -= 0.1 * w.Grad![2]; }
        }
        using (Grad.NoGrad()) Assert.That(round.Apply(w).ToArray(), Is.EqualTo(target.ToArray()));
    }

    private sealed class ReturnsItsInput : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs) => inputs[0];
        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [grad * 3.0];
    }

    private sealed class WrongCount : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs) => inputs[0].Exp();
        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [grad, grad];
    }

    private sealed class WrongShape : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs) => inputs[0].Exp();
        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => [Tensor.Ones<double>(7)];
    }

    [Test]
    public void AnInputReturnedAsIsBecomesAnOutputOfItsOwn()
    {
        var x = Input(9, 3);
        var y = new ReturnsItsInput().Apply(x);
        Assert.That(x.IsLeaf, Is.True, "the input is not turned into an op result");
        Assert.That(y, Is.Not.SameAs(x));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 3.0, 3, 3 }));
    }

    [Test]
    public void MisbehavingBackwardsAreNamed()
    {
        var x = Input(10, 3);
        var ex = Assert.Throws<InvalidOperationException>(() => new WrongCount().Apply(x).Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("WrongCount").And.Contain("2 gradients for 1 inputs"));
        ex = Assert.Throws<InvalidOperationException>(() => new WrongShape().Apply(x).Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("WrongShape").And.Contain("[7]").And.Contain("[3]"));
    }

    private sealed class Mask : CustomFunction<double>
    {
        protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
        {
            ctx.MarkNonDifferentiable();
            var y = inputs[0].Clone();
            var s = y.AsSpan();
            for (int i = 0; i < s.Length; i++) s[i] = s[i] > 0 ? 1 : 0;
            return y;
        }
        protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) => throw new UnreachableException();
    }

    [Test]
    public void ANonDifferentiableOutputDoesNotRequireGrad()
    {
        var y = new Mask().Apply(Input(11, 4));
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.IsLeaf, Is.True);
    }
}
