using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Autograd.Benchmarks.Linalg;

/// <summary>
/// GFLOP/s = 2·m·n·k / mean time, for benchmarks whose <c>Case</c> parameter is a <see cref="GemmCase"/>.
/// One GEMM per invocation is assumed (no OperationsPerInvoke).
/// </summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second, 2·m·n·k / Mean, in units of 10⁹";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats || FindCase(benchmarkCase) is not { } gemm) return "NA";
        double gflops = gemm.Flops / stats.Mean;   // Mean is in nanoseconds: flop/ns = GFLOP/s
        return gflops.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static GemmCase? FindCase(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Value is GemmCase c) return c;
        return null;
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public override string ToString() => ColumnName;
}
