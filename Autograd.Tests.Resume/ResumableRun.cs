using System.Globalization;
using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Tests.Resume;

/// <summary>
/// A small training run with every kind of state a resume must restore: two parameter groups, optimizer state, a
/// per-epoch schedule, BatchNorm buffers, a Dropout generator and the loader's position inside an epoch. It can stop
/// after a given step and write a checkpoint, or start from one; either way it ends by saving the model.
/// </summary>
public static class ResumableRun
{
    /// <summary>What to train and where to stop or start.</summary>
    /// <param name="Optimizer">sgd, nesterov, adam or adamw.</param>
    /// <param name="TotalSteps">Steps of the whole run (the uninterrupted run's length).</param>
    /// <param name="StopAfter">Stop after this many steps and write <paramref name="Checkpoint"/>; null: run to the end.</param>
    /// <param name="Checkpoint">Where to write the checkpoint when stopping.</param>
    /// <param name="Resume">A checkpoint to start from; null: start from scratch.</param>
    /// <param name="ResumeModelOnly">Load only the model from <paramref name="Resume"/> (what a resume without optimizer state would do).</param>
    /// <param name="Out">Where to save the model at the end (or when stopping).</param>
    public sealed record Options(string Optimizer, int TotalSteps, int? StopAfter, string? Checkpoint, string? Resume, bool ResumeModelOnly, string Out);

    public static void Run(Options options)
    {
        var data = SyntheticData();
        var init = new Rng(7);
        var dropoutRng = new Rng(11);
        var first = new Linear<float>(6, 8, rng: init);
        var model = new Sequential<float>(first, new TestBatchNorm<float>(8), new ReLU<float>(), new Dropout<float>(0.2, dropoutRng), new Linear<float>(8, 3, rng: init));
        var rest = model.Parameters().Skip(2).ToArray();
        var (optimizer, scheduler) = Create(options.Optimizer, first.Parameters(), rest);
        var loader = new DataLoader<float>(data, batchSize: 16, seed: 5);
        var rngs = new Dictionary<string, Rng> { ["dropout"] = dropoutRng };

        var position = new TrainingPosition(0, 0);
        int step = 0;
        if (options.Resume is { } resume)
        {
            var info = options.ResumeModelOnly ? Checkpoint.Load(resume, model) : Checkpoint.Load(resume, model, optimizer, scheduler, rngs);
            position = info.Position ?? throw new InvalidDataException($"{resume}: the checkpoint has no training position.");
            step = int.Parse(info.Metadata["step"], CultureInfo.InvariantCulture);
        }
        for (int epoch = position.Epoch; step < options.TotalSteps; epoch++)
        {
            bool epochFinished = true;
            foreach (var batch in loader.Epoch(epoch, epoch == position.Epoch ? position.Batch : 0))
            {
                using (TensorScope.Begin())
                {
                    var loss = model.Forward(batch.X).CrossEntropyLoss(batch.Labels);
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                }
                step++;
                if (step == options.StopAfter)
                {
                    Checkpoint.Save(options.Checkpoint!, model, optimizer, scheduler, new TrainingPosition(epoch, batch.Index + 1), rngs,
                        new Dictionary<string, string> { ["step"] = step.ToString(CultureInfo.InvariantCulture) });
                    model.Save(options.Out);
                    return;
                }
                if (step == options.TotalSteps)
                {
                    epochFinished = batch.Index + 1 == loader.BatchesPerEpoch;
                    break;
                }
            }
            if (epochFinished) scheduler.Step();
        }
        model.Save(options.Out);
    }

    /// <summary>100 seeded samples of 6 features; the label is the arg-max of a fixed linear map, so the task is learnable.</summary>
    private static Dataset<float> SyntheticData()
    {
        var rng = new Rng(3);
        var features = new float[100 * 6];
        var labels = new int[100];
        rng.FillNormal<float>(features, 0, 1);
        for (int i = 0; i < labels.Length; i++)
        {
            var row = features.AsSpan(i * 6, 6);
            float a = row[0] - row[3], b = row[1] + row[4], c = row[2] - row[5];
            labels[i] = a > b ? (a > c ? 0 : 2) : (b > c ? 1 : 2);
        }
        return new Dataset<float>(features, labels, 6);
    }

    private static (Optimizer<float>, LrScheduler) Create(string kind, IEnumerable<Tensor<float>> first, IEnumerable<Tensor<float>> rest)
    {
        Optimizer<float> optimizer = kind switch
        {
            "sgd" => new Sgd<float>([new ParamGroup<float>(first, lr: 0.05, momentum: 0.5), new ParamGroup<float>(rest)], lr: 0.1, momentum: 0.9, weightDecay: 1e-4),
            "nesterov" => new Sgd<float>([new ParamGroup<float>(first, lr: 0.05, momentum: 0.5), new ParamGroup<float>(rest)], lr: 0.1, momentum: 0.9, nesterov: true),
            "adam" => new Adam<float>([new ParamGroup<float>(first, lr: 0.003, betas: (0.8, 0.99)), new ParamGroup<float>(rest, weightDecay: 1e-3)], lr: 0.01),
            "adamw" => new AdamW<float>([new ParamGroup<float>(first, lr: 0.003, betas: (0.8, 0.99)), new ParamGroup<float>(rest, weightDecay: 1e-3)], lr: 0.01),
            _ => throw new ArgumentException($"ResumableRun: unknown optimizer '{kind}' (sgd, nesterov, adam, adamw)."),
        };
        LrScheduler scheduler = optimizer is Sgd<float> ? new StepLr(optimizer, stepSize: 2, gamma: 0.5) : new CosineAnnealingLr(optimizer, tMax: 6);
        return (optimizer, scheduler);
    }
}
