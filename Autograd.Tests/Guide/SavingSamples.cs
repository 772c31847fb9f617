using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Tests.Guide;

/// <summary>The samples of docs/guide/saving-and-loading.md.</summary>
internal static class SavingSamples
{
    public static (Sequential<float> Trained, Sequential<float> Restored, IReadOnlyDictionary<string, string> Metadata) SaveAndLoad(string path, Sequential<float> model)
    {
        #region save-load
        // After training: the weights and buffers under PyTorch's state_dict names, with any string metadata.
        model.Save(path, new Dictionary<string, string> { ["architecture"] = "784-128-10", ["epochs"] = "3" });

        // Later, in another process: build the same network (any initial values) and copy the file into it.
        var restored = new Sequential<float>(
            new Linear<float>(784, 128), new ReLU<float>(),
            new Linear<float>(128, 10));
        IReadOnlyDictionary<string, string> metadata = restored.Load(path);   // throws, listing every mismatch, if the shapes or names differ
        restored.Eval();
        #endregion
        return (model, restored, metadata);
    }

    /// <summary>Trains at most <paramref name="stepBudget"/> steps per call, resuming from <paramref name="path"/> if it exists.</summary>
    public static (Sequential<float> Model, bool Finished) ResumableRun(string path, Dataset<float> train, int stepBudget)
    {
        #region resume
        // A job with a budget of steps per run (a preemptible machine): it checkpoints every 25 batches and after
        // every epoch, and a new run continues from the last checkpoint, mid-epoch included.
        var dropoutRng = new Rng(seed: 11);
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(
            new Linear<float>(784, 64, rng: rng), new ReLU<float>(), new Dropout<float>(0.2, dropoutRng),
            new Linear<float>(64, 10, rng: rng));
        var optimizer = new Adam<float>(model.Parameters(), lr: 1e-3);
        var schedule = new StepLr(optimizer, stepSize: 1, gamma: 0.5);
        var loader = new DataLoader<float>(train, batchSize: 32, seed: 3);
        var rngs = new Dictionary<string, Rng> { ["dropout"] = dropoutRng };   // its masks continue where they stopped

        var start = new TrainingPosition(0, 0);
        if (File.Exists(path)) start = Checkpoint.Load(path, model, optimizer, schedule, rngs).Position!.Value;
        for (int epoch = start.Epoch; epoch < 2; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch, firstBatch: epoch == start.Epoch ? start.Batch : 0))
            {
                if (stepBudget-- == 0) return (model, false);     // out of time: the last checkpoint is the state
                using (TensorScope.Begin())
                {
                    var loss = model.Forward(batch.X).CrossEntropy(batch.Labels);
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                }
                if ((batch.Index + 1) % 25 == 0)
                    Checkpoint.Save(path, model, optimizer, schedule, new TrainingPosition(epoch, batch.Index + 1), rngs);
            }
            schedule.Step();
            Checkpoint.Save(path, model, optimizer, schedule, new TrainingPosition(epoch + 1, 0), rngs);
        }
        #endregion
        return (model, true);
    }

    public static (OrderedDictionary<string, Tensor<float>> Loaded, IReadOnlyDictionary<string, string> Metadata, SafeTensorsHeader Header, Tensor<float> Mean) RawTensors(string path)
    {
        var (train, _) = BundledDigits.Load<float>();
        #region safetensors
        // Any named tensors, for another tool (Python: safetensors.numpy.load_file(path) gives the same arrays).
        var features = train.FeaturesTensor();                   // [8000, 784]
        var mean = features.Mean(axis: 0);                       // [784]
        var std = (features - mean).Square().Mean(axis: 0).Sqrt();
        SafeTensors.Save(path,
            new Dictionary<string, Tensor<float>> { ["mean"] = mean, ["std"] = std },
            new Dictionary<string, string> { ["source"] = "bundled digits, train split" });

        SafeTensorsHeader header = SafeTensors.ReadHeader(path);  // names, dtypes, shapes and metadata; no tensor data
        var loaded = SafeTensors.Load<float>(path, out var metadata);
        Tensor<float> loadedMean = loaded["mean"];
        #endregion
        return (loaded, metadata, header, mean);
    }
}
