using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Tests.Guide;

/// <summary>The samples of docs/guide/training-loops.md.</summary>
internal static class TrainingSamples
{
    public static (Sequential<float> Model, double Accuracy, double LastRate) FullLoop()
    {
        #region loop
        var (train, _) = BundledDigits.Load<float>();
        var (fit, validation) = train.Split(trainFraction: 0.9, seed: 7);   // two views of the same storage
        var rng = new Rng(seed: 7);
        var model = new Sequential<float>(
            new Linear<float>(784, 256, rng: rng), new ReLU<float>(), new Dropout<float>(0.1, rng),
            new Linear<float>(256, 10, rng: rng));

        // Weight decay on the weights only: the biases form a second group with their own setting.
        var named = model.NamedParameters();
        var optimizer = new AdamW<float>([
            new ParamGroup<float>(named.Where(p => p.Key.EndsWith(".weight")).Select(p => p.Value)),
            new ParamGroup<float>(named.Where(p => p.Key.EndsWith(".bias")).Select(p => p.Value), weightDecay: 0)],
            lr: 2e-3, weightDecay: 0.05);
        var schedule = new CosineAnnealingLr(optimizer, tMax: 4);   // scales every group's initial rate
        var loader = new DataLoader<float>(fit, batchSize: 64, shuffle: true, seed: 7);
        var parameters = model.Parameters();

        double accuracy = 0;
        for (int epoch = 0; epoch < 4; epoch++)
        {
            model.Train();
            foreach (var (x, labels) in loader.Epoch(epoch))       // the same order for the same seed and epoch
            {
                using var step = TensorScope.Begin();
                var loss = model.Forward(x).CrossEntropy(labels, labelSmoothing: 0.05);
                optimizer.ZeroGrad();
                loss.Backward();
                GradClip.ClipGradNorm(parameters, maxNorm: 5.0);   // between Backward and Step
                optimizer.Step();
            }
            schedule.Step();                                        // once per epoch, after the optimizer's steps
            accuracy = Accuracy(model, validation);
            Console.WriteLine($"epoch {epoch}: lr {optimizer.Groups[0].LearningRate:G3}, validation {accuracy:P1}");
        }

        static double Accuracy(Module<float> model, Dataset<float> data)
        {
            model.Eval();                                           // dropout off
            int correct = 0;
            using (Grad.NoGrad())
                foreach (var (x, labels) in new DataLoader<float>(data, batchSize: 500, shuffle: false).Epoch(0))
                {
                    using var scope = TensorScope.Begin();
                    int[] predicted = model.Forward(x).ArgMax(axis: -1);
                    correct += predicted.Zip(labels).Count(p => p.First == p.Second);
                }
            return correct / (double)data.Count;
        }
        #endregion
        return (model, accuracy, optimizer.Groups[0].LearningRate);
    }

    public static (Sequential<float> Model, Dataset<float> Data) OwnData()
    {
        #region own-data
        // Your own data: features row-major, featureCount per row, and an integer class per row.
        // Here 2,000 points of the square [−1, 1]², class 1 where x·y > 0 (an XOR of the signs).
        var rng = new Rng(seed: 5);
        var features = new float[2_000 * 2];
        var labels = new int[2_000];
        for (int i = 0; i < labels.Length; i++)
        {
            float px = (float)(2 * rng.NextDouble() - 1), py = (float)(2 * rng.NextDouble() - 1);
            (features[2 * i], features[2 * i + 1], labels[i]) = (px, py, px * py > 0 ? 1 : 0);
        }
        var data = new Dataset<float>(features, labels, featureCount: 2);

        var model = new Sequential<float>(
            new Linear<float>(2, 32, rng: rng), new Tanh<float>(), new Linear<float>(32, 2, rng: rng));
        var optimizer = new Sgd<float>(model.Parameters(), lr: 0.5, momentum: 0.9, nesterov: true);
        var schedule = new StepLr(optimizer, stepSize: 20, gamma: 0.3);
        var loader = new DataLoader<float>(data, batchSize: 100, shuffle: true, seed: 5, dropLast: true);
        for (int epoch = 0; epoch < 60; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                using var step = TensorScope.Begin();
                // Targets as a one-hot [100, 2] tensor, for a loss that compares values (batch.Labels for CrossEntropy).
                var loss = model.Forward(batch.X).Softmax().MseLoss(batch.OneHot(classes: 2));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            schedule.Step();
        }
        #endregion
        return (model, data);
    }
}
