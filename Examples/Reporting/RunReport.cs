using System.Globalization;
using System.Text;
using Autograd.Nn;

namespace Autograd.Examples.Reporting;

/// <summary>The figures of one epoch.</summary>
internal sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double TrainSamplesPerSecond);

/// <summary>Writes metrics.csv and a PNG chart of loss and accuracy per epoch into an output folder, atomically.</summary>
internal static class RunReport
{
    private const string CsvHeader = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_samples_per_s";

    public static void WriteCsv(string path, IReadOnlyList<EpochMetrics> epochs) =>
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(FormatCsv(epochs))));

    /// <summary>The metrics as metrics.csv holds them (numbers in round-trip form), also kept in checkpoints.</summary>
    public static string FormatCsv(IReadOnlyList<EpochMetrics> epochs)
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var e in epochs)
            sb.AppendLine(string.Join(',', new object[] { e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.TrainSamplesPerSecond }
                .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        return sb.ToString();
    }

    /// <summary>Reads back what <see cref="FormatCsv"/> wrote; <paramref name="source"/> names it in errors.</summary>
    public static List<EpochMetrics> ParseCsv(string csv, string source)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0 || lines[0] != CsvHeader) throw new InvalidDataException($"{source}: the metrics do not start with the header '{CsvHeader}'.");
        var epochs = new List<EpochMetrics>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            var numbers = new double[6];
            if (fields.Length != 6 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
                || !fields.Skip(1).Select((f, i) => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i])).All(ok => ok))
                throw new InvalidDataException($"{source}: the metrics line '{line}' is not {CsvHeader}.");
            epochs.Add(new EpochMetrics(epoch, numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]));
        }
        return epochs;
    }

    public static void WriteChart(string path, string title, IReadOnlyList<EpochMetrics> epochs)
    {
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var plot = new ScottPlot.Plot();
        // Loss on the left axis, accuracy on the right: one picture shows both and how they move together.
        plot.Add.Scatter(x, epochs.Select(e => e.TrainLoss).ToArray()).LegendText = "train loss";
        plot.Add.Scatter(x, epochs.Select(e => e.TestLoss).ToArray()).LegendText = "test loss";
        foreach (var (values, label) in new[] { (epochs.Select(e => e.TrainAccuracy), "train accuracy"), (epochs.Select(e => e.TestAccuracy), "test accuracy") })
        {
            var s = plot.Add.Scatter(x, values.ToArray());
            s.LegendText = label;
            s.LinePattern = ScottPlot.LinePattern.Dashed;
            s.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy";
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        byte[] png = plot.GetImage(900, 500).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
