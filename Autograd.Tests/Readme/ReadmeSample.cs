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
                var loss = model.Forward(x).CrossEntropy(labels);
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
}
