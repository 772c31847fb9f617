using Autograd.Examples.Reporting;
using Autograd.Examples.Training;
using Autograd.Nn;
using Autograd.Onnx;

namespace Autograd.Examples;

/// <summary>The `train` command: load data, run the trainer, print the final line and write the output folder.</summary>
internal static class TrainCommand
{
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
        var trainer = new Trainer(recipe, data, log);
        trainer.Run();
        log.WriteLine(trainer.FinalLine());
        if (options.OutDirectory is { } dir) WriteOutputs(dir, recipe, data, trainer, log);
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
            ["test_accuracy"] = trainer.TestAccuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
        });
        log.WriteLine($"wrote {Path.Combine(dir, "metrics.csv")}, chart.png and model.safetensors");
    }
}
