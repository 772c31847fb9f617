using System.Globalization;
using Autograd.Examples.Reporting;
using Autograd.Examples.Training;
using Autograd.Nn;
using Autograd.Onnx;

namespace Autograd.Examples;

/// <summary>The `train` command: load data, run the trainer, print the final line and write the output folder.</summary>
internal static class TrainCommand
{
    public const string CheckpointFile = "checkpoint.safetensors";

    public static int Run(Recipe recipe, TrainOptions options, TextWriter log)
    {
        if (options.Threads is int n) Autograd.Kernels.Threading.MaxThreads = n;
        var data = DataSources.Load(options.Data, recipe);
        if (options.OnnxPath is not null)
        {
            // A network with no ONNX mapping is refused before training, not after: export an untrained copy.
            try { recipe.Model(data.Train.FeatureCount, data.Classes, new Rng(recipe.Seed)).ToOnnx(OnnxSample(data)); }
            catch (NotSupportedException e)
            {
                Console.Error.WriteLine($"train: --onnx: {e.Message}");
                return 2;
            }
        }
        // A resumed run keeps writing into the folder its checkpoint is in, unless told otherwise.
        string? dir = options.OutDirectory ?? (options.Resume is { } resume ? Path.GetDirectoryName(Path.GetFullPath(resume)) : null);
        var trainer = new Trainer(recipe, data, log)
        {
            CheckpointPath = dir is null ? null : Path.Combine(dir, CheckpointFile),
            ResumeFrom = options.Resume,
            RunSettings = RunSettings(recipe, options),
        };
        trainer.Run();
        log.WriteLine(trainer.FinalLine());
        if (dir is not null) WriteOutputs(dir, recipe, data, trainer, log);
        if (options.OnnxPath is { } onnx) WriteOnnx(onnx, trainer.Model!, data, log);
        return 0;
    }

    /// <summary>The trained network as an ONNX file; it takes the features as the recipe prepared them (scaled, standardized).</summary>
    public static void WriteOnnx(string path, Module<float> model, PreparedData data, TextWriter log)
    {
        var sample = OnnxSample(data);
        model.ExportOnnx(path, sample);
        log.WriteLine($"wrote {path} (ONNX opset {OnnxExporter.OpsetVersion}, input [{OnnxExporter.BatchDimension}, {sample.Shape[1]}])");
    }

    private static Tensor<float> OnnxSample(PreparedData data) => data.Test.Subset([0]).FeaturesTensor();

    /// <summary>metrics.csv, chart.png and model.safetensors in <paramref name="dir"/>, each written atomically.</summary>
    public static void WriteOutputs(string dir, Recipe recipe, PreparedData data, Trainer trainer, TextWriter log)
    {
        Directory.CreateDirectory(dir);
        RunReport.WriteCsv(Path.Combine(dir, "metrics.csv"), trainer.History);
        RunReport.WriteChart(Path.Combine(dir, "chart.png"), $"{recipe.Name} on {data.Source}", trainer.History);
        trainer.Model!.Save(Path.Combine(dir, "model.safetensors"), new Dictionary<string, string>
        {
            ["recipe"] = recipe.Name,
            ["description"] = recipe.Description,
            ["test_accuracy"] = trainer.TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
        });
        log.WriteLine($"wrote {Path.Combine(dir, "metrics.csv")}, chart.png, model.safetensors" + (trainer.CheckpointPath is null ? "" : $" and {CheckpointFile}"));
    }

    // The settings that define a run, as its checkpoints record them (the recipe's values after the command-line overrides).
    private static readonly string[] SettingNames = ["recipe", "data", "epochs", "batch", "lr", "optimizer", "seed"];

    private const string DefaultRecipe = "default";

    private static Dictionary<string, string> RunSettings(Recipe recipe, TrainOptions options) => new()
    {
        ["recipe"] = options.Recipe ?? DefaultRecipe,
        ["data"] = options.Data ?? "",
        ["epochs"] = recipe.Epochs.ToString(CultureInfo.InvariantCulture),
        ["batch"] = recipe.BatchSize.ToString(CultureInfo.InvariantCulture),
        ["lr"] = recipe.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["optimizer"] = recipe.Optimizer.ToString().ToLowerInvariant(),
        ["seed"] = recipe.Seed.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// For `train --resume FILE`: the options of the run that wrote the checkpoint (recipe included). Options also given
    /// on the command line must agree with it (a resumed run is the same run); threads and the output folder are free.
    /// </summary>
    public static TrainOptions ResumeSettings(TrainOptions given)
    {
        string file = given.Resume!;
        var saved = SafeTensors.ReadHeader(file).Metadata;
        var missing = SettingNames.Where(k => !saved.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"--resume '{file}': the checkpoint lacks the settings {string.Join(", ", missing)}; it was not written by `train`.");
        var stored = given with
        {
            Recipe = saved["recipe"] == DefaultRecipe ? null : saved["recipe"],
            Data = saved["data"] == "" ? null : saved["data"],
            Epochs = Parse(saved, "epochs", file, s => int.Parse(s, CultureInfo.InvariantCulture)),
            Batch = Parse(saved, "batch", file, s => int.Parse(s, CultureInfo.InvariantCulture)),
            LearningRate = Parse(saved, "lr", file, s => double.Parse(s, CultureInfo.InvariantCulture)),
            Optimizer = Parse(saved, "optimizer", file, s => Enum.Parse<OptimizerKind>(s, ignoreCase: true)),
            Seed = Parse(saved, "seed", file, s => ulong.Parse(s, CultureInfo.InvariantCulture)),
        };
        var conflicts = new List<string>();
        void Compare<TValue>(string option, TValue? value, TValue? savedValue)
        {
            if (value is not null && !EqualityComparer<TValue?>.Default.Equals(value, savedValue)) conflicts.Add($"{option} {value} (the checkpoint's run used {savedValue?.ToString() ?? "none"})");
        }
        Compare("--lab/--model", given.Recipe?.ToLowerInvariant(), stored.Recipe?.ToLowerInvariant() ?? DefaultRecipe);
        Compare("--data", given.Data, stored.Data);
        Compare("--epochs", given.Epochs, stored.Epochs);
        Compare("--batch", given.Batch, stored.Batch);
        Compare("--lr", given.LearningRate, stored.LearningRate);
        Compare("--optimizer", given.Optimizer, stored.Optimizer);
        Compare("--seed", given.Seed, stored.Seed);
        if (conflicts.Count > 0)
            throw new ArgumentException($"--resume '{file}' continues the saved run, so its settings cannot change: {string.Join("; ", conflicts)}.");
        return stored;
    }

    private static TValue Parse<TValue>(IReadOnlyDictionary<string, string> saved, string key, string file, Func<string, TValue> parse)
    {
        try { return parse(saved[key]); }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"--resume '{file}': the checkpoint's setting {key} = '{saved[key]}' is not valid ({e.Message}).");
        }
    }
}
