using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>End-to-end: small MLPs trained with the optimizers on toy problems reach a low loss.</summary>
public class TrainingTests
{
    private static readonly float[] XorInputs = [0, 0, 0, 1, 1, 0, 1, 1];
    private static readonly float[] XorTargets = [0, 1, 1, 0];

    /// <summary>Mean squared error from the ops available in every configuration.</summary>
    private static Tensor<float> Mse(Tensor<float> prediction, Tensor<float> target)
    {
        var d = prediction - target;
        return (d * d).Sum() / Tensor.Scalar((float)target.Length);
    }

    private static float TrainXor(Func<IReadOnlyList<Tensor<float>>, Optimizer> makeOptimizer, int steps,
        Func<Optimizer, LrScheduler>? makeScheduler = null, double clipNorm = double.PositiveInfinity)
    {
        var rng = new Rng(2024);
        var model = new Sequential<float>(new Linear<float>(2, 16, rng: rng), new ReLU<float>(), new Linear<float>(16, 1, rng: rng));
        var parameters = model.Parameters();
        var optimizer = makeOptimizer(parameters);
        var scheduler = makeScheduler?.Invoke(optimizer);
        var x = Tensor.FromArray(XorInputs, 4, 2);
        var y = Tensor.FromArray(XorTargets, 4, 1);
        float loss = float.NaN;
        for (int step = 0; step < steps; step++)
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var l = Mse(model.Call(x), y);
            loss = l.Item();
            l.Backward();
            GradClip.ClipGradNorm(parameters, clipNorm);
            optimizer.Step();
            scheduler?.Step();
        }
        TestContext.Out.WriteLine($"final loss {loss}");
        return loss;
    }

    [Test]
    public void AdamLearnsXor() =>
        Assert.That(TrainXor(p => new Adam<float>(p, lr: 0.05), 300), Is.LessThan(1e-3f));

    [Test]
    public void SgdWithMomentumLearnsXor() =>
        Assert.That(TrainXor(p => new Sgd<float>(p, lr: 0.05, momentum: 0.9), 400), Is.LessThan(1e-3f));

    [Test]
    public void AdamWWithCosineScheduleAndClippingLearnsXor() =>
        Assert.That(TrainXor(p => new AdamW<float>(p, lr: 0.05), 300, o => new CosineAnnealingLr(o, tMax: 300, etaMin: 1e-3), clipNorm: 1),
            Is.LessThan(1e-3f));
}
