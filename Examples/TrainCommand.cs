using Autograd.Examples.Reporting;
using Autograd.Examples.Training;
using Autograd.Nn;

namespace Autograd.Examples;

/// <summary>The `train` command: load data, run the trainer, print the final line and write the output folder.</summary>
internal static class TrainCommand
{
    public static int Run(Recipe recipe, TrainOptions options, TextWriter log)
    {
        if (options.Threads is int n) Autograd.Kernels.Threading.MaxThreads = n;
        var data = DataSources.Load(options.Data, recipe);
        var trainer = new Trainer(recipe, data, log);
        trainer.Run();
        log.WriteLine(trainer.FinalLine());
        if (options.OutDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            RunReport.WriteCsv(Path.Combine(dir, "metrics.csv"), trainer.History);
            RunReport.WriteChart(Path.Combine(dir, "chart.png"), $"{recipe.Name} on {data.Source}", trainer.History);
            trainer.Model!.Save(Path.Combine(dir, "model.safetensors"), new Dictionary<string, string>
            {
                ["recipe"] = recipe.Name, ["description"] = recipe.Description, ["test_accuracy"] = trainer.TestAccuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
            });
            log.WriteLine($"wrote {dir}/metrics.csv, chart.png, model.safetensors");
        }
        return 0;
    }
}
