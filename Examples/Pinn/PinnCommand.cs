using System.Diagnostics;
using System.Globalization;
using Autograd.Nn;

namespace Autograd.Examples.Pinn;

/// <summary>
/// A physics-informed network: a tanh MLP u(x) trained so that u″(x) = −π² sin(πx) on [0, 1] with u(0) = u(1) = 0,
/// whose solution is sin(πx). u″ comes from the tape (the gradient of the gradient, recorded with createGraph), not
/// from finite differences; the loss is the mean squared residual at the collocation points plus the squared
/// boundary values, and its gradient with respect to the weights goes through both recorded derivatives
/// (<see cref="PinnProblem.Step"/>).
/// </summary>
internal static class PinnCommand
{
    public sealed record Options(int Steps = 8000, int Points = 64, double LearningRate = 1e-3, ulong Seed = 1, int LogEvery = 500, string? OutDirectory = null);

    public static int Run(Options o, TextWriter log)
    {
        var problem = new PinnProblem(o.Points, o.LearningRate, o.Seed);
        var model = problem.Model;
        log.WriteLine($"pinn: u″ = −π² sin(πx) on [0, 1], u(0) = u(1) = 0; tanh MLP 1→{PinnProblem.Hidden}→{PinnProblem.Hidden}→1 ({model.ParameterCount:N0} parameters), " +
                      $"float64, Adam lr {o.LearningRate}, {o.Points} collocation points, {o.Steps} steps");
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= o.Steps; step++)
        {
            double loss = problem.Step();
            if (step % o.LogEvery == 0 || step == o.Steps)
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {step,6}  loss {loss:E3}  max_abs_error {MaxAbsError(model, 1000):E3}  {clock.Elapsed.TotalSeconds:F1} s"));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double error = MaxAbsError(model, 1000);
        if (o.OutDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            WriteChart(Path.Combine(dir, "pinn.png"), model);
            log.WriteLine($"wrote {Path.Combine(dir, "pinn.png")}");
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final model=pinn max_abs_error={error:E3} steps={o.Steps} train_seconds={seconds:F2}"));
        return 0;
    }

    // max |u(x) − sin(πx)| over an even grid of n points in [0, 1].
    private static double MaxAbsError(Module<double> model, int n)
    {
        var (grid, u) = Evaluate(model, n);
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(u[i] - Math.Sin(Math.PI * grid[i])));
        return worst;
    }

    private static (double[] Grid, double[] U) Evaluate(Module<double> model, int n)
    {
        var grid = Enumerable.Range(0, n).Select(i => i / (double)(n - 1)).ToArray();
        using var _ = Grad.NoGrad();
        return (grid, model.Forward(Tensor.FromArray(grid, n, 1)).ToArray());
    }

    private static void WriteChart(string path, Module<double> model)
    {
        var (grid, u) = Evaluate(model, 200);
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(grid, grid.Select(v => Math.Sin(Math.PI * v)).ToArray()).LegendText = "exact sin(πx)";
        var learned = plot.Add.Scatter(grid, u);
        learned.LegendText = "network u(x)";
        learned.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Title("PINN: u″ = −π² sin(πx), u(0) = u(1) = 0");
        plot.XLabel("x");
        plot.YLabel("u");
        plot.ShowLegend(ScottPlot.Alignment.LowerCenter);
        byte[] png = plot.GetImage(900, 500).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
