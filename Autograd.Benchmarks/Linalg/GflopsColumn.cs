using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Autograd.Benchmarks.Linalg;

/// <summary>A benchmark case that knows how many floating-point operations one invocation performs.</summary>
public interface IFlopCount
{
    /// <summary>Floating-point operations of one invocation (a multiply-add counts two).</summary>
    double Flops { get; }
}

/// <summary>
/// GFLOP/s = <see cref="IFlopCount.Flops"/> / mean time, for benchmarks with a parameter that is an <see cref="IFlopCount"/>
/// (a <see cref="GemmCase"/>: 2·m·n·k; a <see cref="ConvCase"/>: 2·N·O·OH·OW·C·kH·kW). One case per invocation is
/// assumed (no OperationsPerInvoke).
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
    public string Legend => "Floating-point operations per second, flops of the case / Mean, in units of 10⁹";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats || FindCase(benchmarkCase) is not { } counted) return "NA";
        double gflops = counted.Flops / stats.Mean;   // Mean is in nanoseconds: flop/ns = GFLOP/s
        return gflops.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static IFlopCount? FindCase(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Value is IFlopCount c) return c;
        return null;
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public override string ToString() => ColumnName;
}
