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
                var loss = model.Forward(x).CrossEntropy(labels);
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
}
