using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>
/// One and two optimizer steps on a 3-element parameter whose gradient is set by back-propagating Σ c·p (so ∂/∂p = c),
/// compared with the update rules of torch.optim written out here element by element.
/// </summary>
public class OptimizerTests
{
    private static readonly double[] P0 = [1.0, -2.0, 0.5];
    private static readonly double[] G1 = [0.5, 0.1, -1.0];
    private static readonly double[] G2 = [-0.3, 0.4, 2.0];

    private static Tensor<double> Param()
    {
        var p = Tensor.FromArray((double[])P0.Clone());
        p.RequiresGrad = true;
        return p;
    }

    /// <summary>Sets p.Grad = g through the tape (after zeroing).</summary>
    private static void SetGrad(Tensor<double> p, double[] g)
    {
        p.ZeroGrad();
        (p * Tensor.FromArray(g)).Sum().Backward();
    }

    private static void AssertClose(Tensor<double> p, double[] expected) =>
        Assert.That(p.ToArray(), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void SgdPlain()
    {
        var p = Param();
        var opt = new Sgd<double>([p], lr: 0.1);
        SetGrad(p, G1);
        opt.Step();
        AssertClose(p, [1.0 - 0.1 * 0.5, -2.0 - 0.1 * 0.1, 0.5 + 0.1 * 1.0]);
    }

    [Test]
    public void SgdWeightDecayAddsLambdaTimesParameter()
    {
        var p = Param();
        var opt = new Sgd<double>([p], lr: 0.1, weightDecay: 0.01);
        SetGrad(p, G1);
        opt.Step();
        var expected = new double[3];
        for (int i = 0; i < 3; i++) expected[i] = P0[i] - 0.1 * (G1[i] + 0.01 * P0[i]);
        AssertClose(p, expected);
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(G1), "the gradient itself is not modified");
    }

    [Test]
    public void SgdMomentumTwoSteps()
    {
        const double lr = 0.1, mu = 0.9, tau = 0.25;
        var p = Param();
        var opt = new Sgd<double>([p], lr, momentum: mu, dampening: tau);
        var expected = (double[])P0.Clone();
        var buf = new double[3];

        SetGrad(p, G1);
        opt.Step();
        for (int i = 0; i < 3; i++) { buf[i] = G1[i]; expected[i] -= lr * buf[i]; }   // first step: b = g, no dampening
        AssertClose(p, expected);

        SetGrad(p, G2);
        opt.Step();
        for (int i = 0; i < 3; i++) { buf[i] = mu * buf[i] + (1 - tau) * G2[i]; expected[i] -= lr * buf[i]; }
        AssertClose(p, expected);
    }

    [Test]
    public void SgdNesterovTwoSteps()
    {
        const double lr = 0.05, mu = 0.8;
        var p = Param();
        var opt = new Sgd<double>([p], lr, momentum: mu, nesterov: true);
        var expected = (double[])P0.Clone();
        var buf = new double[3];

        SetGrad(p, G1);
        opt.Step();
        for (int i = 0; i < 3; i++) { buf[i] = G1[i]; expected[i] -= lr * (G1[i] + mu * buf[i]); }
        AssertClose(p, expected);

        SetGrad(p, G2);
        opt.Step();
        for (int i = 0; i < 3; i++) { buf[i] = mu * buf[i] + G2[i]; expected[i] -= lr * (G2[i] + mu * buf[i]); }
        AssertClose(p, expected);
    }

    [Test]
    public void SgdMomentumWithWeightDecay()
    {
        const double lr = 0.1, mu = 0.9, wd = 0.1;
        var p = Param();
        var opt = new Sgd<double>([p], lr, momentum: mu, weightDecay: wd);
        SetGrad(p, G1);
        opt.Step();
        var p1 = new double[3];
        var buf = new double[3];
        for (int i = 0; i < 3; i++) { buf[i] = G1[i] + wd * P0[i]; p1[i] = P0[i] - lr * buf[i]; }
        AssertClose(p, p1);
        SetGrad(p, G2);
        opt.Step();
        var p2 = new double[3];
        for (int i = 0; i < 3; i++) { buf[i] = mu * buf[i] + (G2[i] + wd * p1[i]); p2[i] = p1[i] - lr * buf[i]; }
        AssertClose(p, p2);
    }

    [Test]
    public void NesterovNeedsMomentumAndNoDampening()
    {
        Assert.Throws<ArgumentException>(() => new Sgd<double>([Param()], 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd<double>([Param()], 0.1, momentum: 0.9, nesterov: true, dampening: 0.1));
    }

    /// <summary>torch.optim.Adam/AdamW for two steps, written out.</summary>
    private static double[][] AdamReference(double lr, double b1, double b2, double eps, double wd, bool decoupled)
    {
        var p = (double[])P0.Clone();
        var m = new double[3];
        var v = new double[3];
        var results = new double[2][];
        double[][] grads = [G1, G2];
        for (int t = 1; t <= 2; t++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = grads[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            results[t - 1] = (double[])p.Clone();
        }
        return results;
    }

    [Test]
    public void AdamFirstStepMovesEachElementByLearningRate()
    {
        // With bias correction m̂ = g and v̂ = g² after one step, so the step is lr·g/(|g|+ε) ≈ lr·sign(g).
        var p = Param();
        var opt = new Adam<double>([p], lr: 0.01);
        SetGrad(p, G1);
        opt.Step();
        for (int i = 0; i < 3; i++)
            Assert.That(p[i], Is.EqualTo(P0[i] - 0.01 * G1[i] / (Math.Abs(G1[i]) + 1e-8)).Within(1e-12));
    }

    [TestCase(0.0)]
    [TestCase(0.1)]
    public void AdamTwoSteps(double weightDecay)
    {
        var p = Param();
        var opt = new Adam<double>([p], lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: weightDecay);
        var expected = AdamReference(0.01, 0.8, 0.9, 1e-3, weightDecay, decoupled: false);
        SetGrad(p, G1); opt.Step();
        AssertClose(p, expected[0]);
        SetGrad(p, G2); opt.Step();
        AssertClose(p, expected[1]);
    }

    [Test]
    public void AdamWTwoStepsDecouplesWeightDecay()
    {
        var p = Param();
        var opt = new AdamW<double>([p], lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: 0.5);
        var expected = AdamReference(0.01, 0.8, 0.9, 1e-3, 0.5, decoupled: true);
        SetGrad(p, G1); opt.Step();
        AssertClose(p, expected[0]);
        SetGrad(p, G2); opt.Step();
        AssertClose(p, expected[1]);
        Assert.That(new AdamW<double>([Param()]).WeightDecay, Is.EqualTo(0.01));
    }

    [Test]
    public void AdamWDiffersFromAdamWithTheSameDecay()
    {
        var a = Param(); var b = Param();
        var adam = new Adam<double>([a], lr: 0.01, weightDecay: 0.5);
        var adamW = new AdamW<double>([b], lr: 0.01, weightDecay: 0.5);
        SetGrad(a, G1); SetGrad(b, G1);
        adam.Step(); adamW.Step();
        Assert.That(a.ToArray(), Is.Not.EqualTo(b.ToArray()).Within(1e-6));
    }

    [Test]
    public void OptimizersWorkInFloat32()
    {
        var p = Tensor.FromArray(new[] { 1f, -2f, 0.5f });
        p.RequiresGrad = true;
        var opt = new Adam<float>([p], lr: 0.1f);
        (p * Tensor.FromArray(new[] { 0.5f, 0.1f, -1f })).Sum().Backward();
        opt.Step();
        Assert.That(p.ToArray(), Is.EqualTo(new[] { 0.9f, -2.1f, 0.6f }).Within(1e-6f));
    }

    [Test]
    public void ParametersWithoutGradientAreLeftAlone()
    {
        var used = Param();
        var unused = Param();
        var opt = new Sgd<double>([used, unused], 0.1, momentum: 0.9);
        SetGrad(used, G1);
        opt.Step();
        Assert.That(unused.ToArray(), Is.EqualTo(P0));
        Assert.That(used.ToArray(), Is.Not.EqualTo(P0));
    }

    [Test]
    public void ZeroGradAndLearningRateAreShared()
    {
        var p = Param();
        Optimizer opt = new Sgd<double>([p], 0.1);
        SetGrad(p, G1);
        opt.ZeroGrad();
        Assert.That(p.Grad!.ToArray(), Is.All.EqualTo(0.0));
        opt.LearningRate = 0.5;
        Assert.That(opt.LearningRate, Is.EqualTo(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LearningRate = -1);
    }

    [Test]
    public void BadParameterListsAreRejected()
    {
        var p = Param();
        Assert.That(Assert.Throws<ArgumentException>(() => new Adam<double>([p, p]))!.Message, Does.Contain("more than once"));
        Assert.Throws<ArgumentException>(() => new Adam<double>(Array.Empty<Tensor<double>>()));
        Assert.That(Assert.Throws<ArgumentException>(() => new Sgd<double>([p * p], 0.1))!.Message, Does.Contain("leaf"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([p], beta1: 1));
    }

    [Test]
    public void StepAllocatesNothingInSteadyState()
    {
        var layer = new Linear<float>(64, 32, rng: new Rng(1));
        var optimizers = new Optimizer[]
        {
            new Sgd<float>(layer.Parameters(), 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4),
            new Adam<float>(layer.Parameters(), weightDecay: 1e-4),
            new AdamW<float>(layer.Parameters()),
        };
        layer.Forward(Tensor.Ones<float>(4, 64)).Sum().Backward();
        foreach (var opt in optimizers)
        {
            opt.Step();   // warm-up (JIT)
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) opt.Step();
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, opt.GetType().Name);
        }
    }
}
