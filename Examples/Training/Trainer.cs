using System.Diagnostics;
using System.Globalization;
using Autograd.Examples.Reporting;
using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>
/// The training loop shared by every lab and model: seeded shuffled mini-batches, one TensorScope per step (so a
/// steady-state step reuses the previous step's buffers), per-epoch evaluation, and the report lines other tools read.
/// With <see cref="CheckpointPath"/> it writes a checkpoint after every epoch; with <see cref="ResumeFrom"/> it continues
/// from one and ends exactly where the uninterrupted run would have.
/// </summary>
internal sealed class Trainer(Recipe recipe, PreparedData data, TextWriter log)
{
    /// <summary>Where to write a checkpoint after every epoch (null: none).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>A checkpoint written by an earlier run of the same recipe and settings, to continue from.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>The run's settings, recorded in each checkpoint's metadata so that `train --resume` can rebuild the run.</summary>
    public IReadOnlyDictionary<string, string> RunSettings { get; init; } = new Dictionary<string, string>();

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

        int firstEpoch = 1;
        if (ResumeFrom is { } resume)
        {
            var info = Checkpoint.Load(resume, model, optimizer, schedule);
            if (info.Position is not { Batch: 0 } position || !info.Metadata.TryGetValue(HistoryKey, out var history))
                throw new InvalidDataException($"--resume '{resume}': the checkpoint was not written between two epochs by `train`.");
            firstEpoch = position.Epoch;
            History.AddRange(RunReport.ParseCsv(history, resume));
            log.WriteLine($"resumed from {resume}: {firstEpoch - 1} of {recipe.Epochs} epochs done");
        }

        long trainedSamples = 0;
        var trainTime = new Stopwatch();
        for (int epoch = firstEpoch; epoch <= recipe.Epochs; epoch++)
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
            // Written before the epoch's line: a run killed after reading that line has the epoch on disk.
            if (CheckpointPath is { } path)
                Checkpoint.Save(path, model, optimizer, schedule, new TrainingPosition(epoch + 1, 0),
                    metadata: new Dictionary<string, string>(RunSettings) { [HistoryKey] = RunReport.FormatCsv(History) });
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch,3}  train_loss {lossSum / seen:F4}  train_acc {(double)correct / seen:F4}  {data.EvalName}_loss {evalLoss:F4}  {data.EvalName}_acc {evalAcc:F4}  samples/s {epochRate:F0}  ({epochTime.Elapsed.TotalSeconds:F1} s)"));
        }
        TrainSamplesPerSecond = trainedSamples > 0 ? trainedSamples / trainTime.Elapsed.TotalSeconds : 0;
        TestAccuracy = ReferenceEquals(data.Eval, data.Test) && History.Count > 0
            ? History[^1].TestAccuracy
            : Metrics.Evaluate(model, data.Test, recipe.Loss).Accuracy;
    }

    private const string HistoryKey = "history";

    private (Tensor<float>, Tensor<float>) ForwardAndLoss(Module<float> model, Batch<float> batch)
    {
        var output = model.Forward(batch.X);
        return (output, recipe.Loss(output, batch));
    }

    /// <summary>The one line other tools parse.</summary>
    public string FinalLine() => string.Create(CultureInfo.InvariantCulture,
        $"final model={recipe.Name} test_accuracy={TestAccuracy:F4} train_samples_per_s={TrainSamplesPerSecond:F0} epochs={recipe.Epochs}");
}
