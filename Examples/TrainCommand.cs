using Autograd.Examples.Reporting;
using Autograd.Examples.Training;
using Autograd.Nn;

namespace Autograd.Examples;

/// <summary>The `train` command: load data, run the trainer, print the final line and write the output folder.</summary>
internal static class TrainCommand
{
    public static int Run(Recipe recipe, TrainOptions options, TextWriter log)
    {
        if (options.Threads is int n) Parallelism.MaxThreads = n;
        var data = DataSources.Load(options.Data, recipe);
        var trainer = new Trainer(recipe, data, log);
        trainer.Run();
        log.WriteLine(trainer.FinalLine());
        if (options.OutDirectory is { } dir) WriteOutputs(dir, recipe, data, trainer, log);
        return 0;
    }

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
