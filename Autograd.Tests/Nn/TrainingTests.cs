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

public class BlobTrainingTests
{
    /// <summary>Two Gaussian blobs (std 0.8) around (−1.5, −1.5) and (1.5, 1.5): 3.75σ per axis between centres.</summary>
    private static (Tensor<float> X, int[] Labels) Blobs(int n, Rng rng)
    {
        var x = new float[n * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            double centre = labels[i] == 0 ? -1.5 : 1.5;
            x[2 * i] = (float)(centre + 0.8 * rng.NextNormal());
            x[2 * i + 1] = (float)(centre + 0.8 * rng.NextNormal());
        }
        return (Tensor.FromArray(x, n, 2), labels);
    }

    [Test]
    public void MlpWithCrossEntropyAndDropoutSeparatesTwoBlobs()
    {
        var rng = new Rng(7);
        var (x, labels) = Blobs(200, rng);
        var model = new Sequential<float>(new Linear<float>(2, 16, rng: rng), new ReLU<float>(), new Dropout<float>(0.1, rng), new Linear<float>(16, 2, rng: rng));
        Loss<float> loss = new CrossEntropyLoss<float>();
        var optimizer = new Adam<float>(model.Parameters(), lr: 0.02);
        var scheduler = new StepLr(optimizer, stepSize: 50, gamma: 0.5);
        for (int epoch = 0; epoch < 150; epoch++)
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            loss.Forward(model.Call(x), labels).Backward();
            optimizer.Step();
            scheduler.Step();
        }
        model.Eval();
        using (Grad.NoGrad())
        {
            var logits = model.Call(x);
            float final = loss.Forward(logits, labels).Item();
            var predicted = logits.ArgMax(1);
            double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / 200.0;
            TestContext.Out.WriteLine($"loss {final}, accuracy {accuracy}");
            Assert.That(final, Is.LessThan(0.1f));
            // Bayes error of the two blobs is Φ(−1.5·√2/0.8) ≈ 0.4%: at most a few of 200 points are on the wrong side.
            Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.97));
        }
    }
}
