using System.Diagnostics;
using System.Globalization;
using Autograd.Examples.Reporting;
using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>
/// The training loop shared by every lab and model: seeded shuffled mini-batches, one TensorScope per step (so a
/// steady-state step reuses the previous step's buffers), per-epoch evaluation, and the report lines other tools read.
/// </summary>
internal sealed class Trainer(Recipe recipe, PreparedData data, TextWriter log)
{
    public Module<float>? Model { get; private set; }
    public List<EpochMetrics> History { get; } = new();
    public double TrainSamplesPerSecond { get; private set; }
    public double TestAccuracy { get; private set; }

    public void Run()
    {
        var rng = new Rng(recipe.Seed);
        var model = Model = recipe.Model(data.Train.FeatureCount, data.Classes, rng);
        var optimizer = recipe.CreateOptimizer(model, recipe.LearningRate);
        var schedule = recipe.CosineSchedule ? new CosineAnnealingLr(optimizer, recipe.Epochs) : null;
        int batchSize = recipe.BatchSize > 0 ? Math.Min(recipe.BatchSize, data.Train.Count) : data.Train.Count;
        var loader = new DataLoader<float>(data.Train, batchSize, shuffle: true, seed: recipe.Seed);

        log.WriteLine($"{recipe.Name}: {recipe.Description}");
        string sets = ReferenceEquals(data.Eval, data.Test) ? $"train {data.Train.Count}, test {data.Test.Count}"
            : $"train {data.Train.Count}, {data.EvalName} {data.Eval.Count}, test {data.Test.Count}";
        log.WriteLine($"data: {data.Source}; {sets}; " +
                      $"{model.ParameterCount:N0} parameters; batch {batchSize}, lr {recipe.LearningRate}, {recipe.Optimizer}, {recipe.Epochs} epochs");

        long trainedSamples = 0;
        var trainTime = new Stopwatch();
        for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
        {
            model.Train();
            double lossSum = 0; long correct = 0, seen = 0;
            var epochTime = Stopwatch.StartNew();
            var trainedBefore = trainTime.Elapsed;
            var progress = new ProgressBar($"epoch {epoch}/{recipe.Epochs}", loader.BatchesPerEpoch);
            foreach (var batch in loader.Epoch(epoch))
            {
                double loss;
                int batchCorrect;
                using (TensorScope.Begin())
                {
                    // Only forward, backward and the update are timed: train_samples_per_s excludes data loading and evaluation.
                    trainTime.Start();
                    var (output, objective) = recipe.Objective?.Invoke(model, batch) ?? ForwardAndLoss(model, batch);
                    var total = recipe.Regularize is null ? objective : objective + recipe.Regularize(model);
                    optimizer.ZeroGrad();
                    total.Backward();
                    optimizer.Step();
                    trainTime.Stop();
                    loss = objective.Item();
                    batchCorrect = Metrics.CountCorrect(output, batch.Labels);
                }
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"{recipe.Name}: the training loss became {loss} in epoch {epoch}, batch {batch.Index}. " +
                        "Set Grad.DetectAnomaly = true (or run with --detect-anomaly) to find the op that produced it.");
                lossSum += loss * batch.Count; correct += batchCorrect; seen += batch.Count;
                progress.Report(batch.Index + 1, lossSum / seen);
            }
            progress.Finish();
            schedule?.Step();
            trainedSamples += seen;
            double epochRate = seen / (trainTime.Elapsed - trainedBefore).TotalSeconds;

            var (evalLoss, evalAcc) = Metrics.Evaluate(model, data.Eval, recipe.Loss);
            History.Add(new EpochMetrics(epoch, lossSum / seen, (double)correct / seen, evalLoss, evalAcc, epochRate));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch,3}  train_loss {lossSum / seen:F4}  train_acc {(double)correct / seen:F4}  {data.EvalName}_loss {evalLoss:F4}  {data.EvalName}_acc {evalAcc:F4}  samples/s {epochRate:F0}  ({epochTime.Elapsed.TotalSeconds:F1} s)"));
        }
        TrainSamplesPerSecond = trainedSamples / trainTime.Elapsed.TotalSeconds;
        TestAccuracy = ReferenceEquals(data.Eval, data.Test) && History.Count > 0
            ? History[^1].TestAccuracy
            : Metrics.Evaluate(model, data.Test, recipe.Loss).Accuracy;
    }

    private (Tensor<float>, Tensor<float>) ForwardAndLoss(Module<float> model, Batch<float> batch)
    {
        var output = model.Forward(batch.X);
        return (output, recipe.Loss(output, batch));
    }

    /// <summary>The one line other tools parse.</summary>
    public string FinalLine() => string.Create(CultureInfo.InvariantCulture,
        $"final model={recipe.Name} test_accuracy={TestAccuracy:F4} train_samples_per_s={TrainSamplesPerSecond:F0} epochs={recipe.Epochs} weights={Metrics.WeightsDigest(Model!)}");
}
