using System.Globalization;
using System.Text;
using Autograd.Nn;

namespace Autograd.Examples.Reporting;

/// <summary>The figures of one epoch.</summary>
internal sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double TrainSamplesPerSecond);

/// <summary>Writes metrics.csv and a PNG chart of loss and accuracy per epoch into an output folder, atomically.</summary>
internal static class RunReport
{
    public static void WriteCsv(string path, IReadOnlyList<EpochMetrics> epochs)
    {
        var sb = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_samples_per_s\n");
        foreach (var e in epochs)
            sb.AppendLine(string.Join(',', new object[] { e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.TrainSamplesPerSecond }
                .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(sb.ToString())));
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
