using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Tests.Readme;

/// <summary>The README's code sample, compiled with the tests; ReadmeSampleTests checks the README shows exactly this.</summary>
internal static class ReadmeSample
{
    public static double Run()
    {
        #region sample
        var (train, test) = BundledDigits.Load<float>();      // 8,000 / 2,000 real MNIST digits, bundled
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(
            new Linear<float>(784, 128, rng: rng), new ReLU<float>(),
            new Linear<float>(128, 10, rng: rng));
        var optimizer = new Sgd<float>(model.Parameters(), lr: 0.1, momentum: 0.9);

        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var (x, labels) in new DataLoader<float>(train, batchSize: 64, seed: 1).Epoch(epoch))
            {
                using var step = TensorScope.Begin();       // step N+1 reuses step N's buffers
                var loss = model.Forward(x).CrossEntropyLoss(labels);
                optimizer.ZeroGrad();
                loss.Backward();                              // no backward code written by hand
                optimizer.Step();
            }

        double accuracy;
        using (Grad.NoGrad())
        {
            int[] predicted = model.Forward(test.FeaturesTensor()).ArgMax(axis: -1);
            accuracy = predicted.Zip(test.Labels).Count(p => p.First == p.Second) / (double)test.Count;
        }
        Console.WriteLine($"test accuracy {accuracy:P1}");
        #endregion
        return accuracy;
    }

    /// <summary>The README's second sample: parameter groups, a schedule and a run that resumes from its checkpoint.</summary>
    public static Sequential<float> RunResumable(string path)
    {
        var (train, _) = BundledDigits.Load<float>();
        #region checkpoint
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(
            new Linear<float>(784, 128, rng: rng), new ReLU<float>(),
            new Linear<float>(128, 10, rng: rng));
        // Two parameter groups: the first layer learns at a tenth of the rate; the schedule scales each group's rate.
        var optimizer = new Sgd<float>([
            new ParamGroup<float>(model[0].Parameters(), lr: 0.01),
            new ParamGroup<float>(model[2].Parameters())], lr: 0.1, momentum: 0.9);
        var schedule = new CosineAnnealingLr(optimizer, tMax: 3);
        var loader = new DataLoader<float>(train, batchSize: 64, seed: 1);

        // Run it again after a crash: it continues from the last epoch it saved, and ends as if never stopped.
        var start = File.Exists(path) ? Checkpoint.Load(path, model, optimizer, schedule).Position!.Value : new TrainingPosition(0, 0);
        for (int epoch = start.Epoch; epoch < 3; epoch++)
        {
            foreach (var (x, labels) in loader.Epoch(epoch))
            {
                using var step = TensorScope.Begin();
                var loss = model.Forward(x).CrossEntropyLoss(labels);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            schedule.Step();
            // Weights, momentum buffers, learning rates and the schedule's epoch in one file, written atomically.
            Checkpoint.Save(path, model, optimizer, schedule, new TrainingPosition(epoch + 1, 0));
        }
        #endregion
        return model;
    }

    /// <summary>The README's higher-order sample; returns u″, the Hessian and H·1 for the test to check.</summary>
    public static (Tensor<double> D2u, Tensor<double> Hessian, Tensor<double> Hv) HigherOrder()
    {
        #region higher-order
        // u(x) = x³ sin x: u′ and u″ from the tape, not from finite differences.
        var x = Tensor.FromArray(new[] { 0.5, 1.0, 2.0 }, requiresGrad: true);
        var u = x.Pow(3.0) * x.Sin();
        var du = Functional.Grad(u, x, Tensor.Ones<double>(3), createGraph: true);   // recorded, so differentiable
        var d2u = Functional.Grad(du, x, Tensor.Ones<double>(3));

        // Hessian, Hessian-vector and Jacobian-vector products of any function of one tensor.
        Tensor<double> F(Tensor<double> v) => (v * v).Sum().Mul(0.5) + v.Exp().Sum();
        var hessian = Functional.Hessian(F, x);                                       // [3, 3]
        var (_, hv) = Functional.Hvp(F, x, Tensor.Ones<double>(3));
        #endregion
        return (d2u, hessian, hv);
    }

    /// <summary>The README's convolutional network: one training step on <paramref name="x"/>, then saved to <paramref name="path"/>.</summary>
    public static Sequential<float> Cnn(Tensor<float> x, int[] labels, string path)
    {
        var rng = new Rng(seed: 1);
        #region cnn
        var cnn = new Sequential<float>(
            new Unflatten<float>(1, 1, 28, 28),                      // [N, 784] → [N, 1, 28, 28]
            new Conv2d<float>(1, 32, kernelSize: 3, padding: 1, rng: rng), new BatchNorm2d<float>(32), new ReLU<float>(),
            new MaxPool2d<float>(2),                                  // → [N, 32, 14, 14]
            new Conv2d<float>(32, 64, kernelSize: 3, padding: 1, rng: rng), new BatchNorm2d<float>(64), new ReLU<float>(),
            new MaxPool2d<float>(2),                                  // → [N, 64, 7, 7]
            new Flatten<float>(),                                     // → [N, 3136]
            new Linear<float>(3136, 128, rng: rng), new ReLU<float>(),
            new Linear<float>(128, 10, rng: rng));
        var optimizer = new Sgd<float>(cnn.Parameters(), lr: 0.05, momentum: 0.9);
        using (TensorScope.Begin())                                   // a training step, as for any network
        {
            optimizer.ZeroGrad();
            cnn.Forward(x).CrossEntropyLoss(labels).Backward();       // BatchNorm updates its running statistics
            optimizer.Step();
        }
        cnn.Eval();                                                   // BatchNorm now normalizes with them
        cnn.Save(path);   // PyTorch's state_dict names: "1.weight", "2.running_mean", "2.num_batches_tracked", …
        #endregion
        return cnn;
    }
}

/// <summary>The README's custom-function sample.</summary>
#region custom-function
// log cosh x, stable for large |x| (the naive log((eˣ + e⁻ˣ)/2) overflows at |x| > 710); d/dx = tanh x.
sealed class LogCosh : CustomFunction<double>
{
    protected override Tensor<double> Forward(FunctionContext<double> ctx, Tensor<double>[] inputs)
    {
        var x = inputs[0];
        ctx.SaveForBackward(x);
        var a = x.Abs();
        return a + (a * -2.0).Exp().Add(1.0).Log() - Math.Log(2);
    }

    protected override Tensor<double>?[] Backward(FunctionContext<double> ctx, Tensor<double> grad) =>
        [grad * ctx.Saved[0].Tanh()];
}

// var y = new LogCosh().Apply(x);
// GradCheck.Assert(xs => new LogCosh().Apply(xs[0]), [x]);
// GradCheck.AssertGradGrad(xs => new LogCosh().Apply(xs[0]), [x]);
#endregion
