using Autograd.Benchmarks.Linalg;
using Autograd.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// float32 convolution kernels on the CNN's shapes (batch 64, one thread): each of the 6 products against the bare GEMMs
/// it runs (the same per-sample products on an already lowered column matrix), so Ratio is the share of the time the
/// lowering, padding, col2im and bias cost on top of the GEMM. GFLOP/s counts 2·N·O·OH·OW·C·kH·kW per product.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ConvolutionConfig))]
public class ConvolutionBenchmarks
{
    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = ConvCase.NetworkShapes().First();

    public static IEnumerable<ConvCase> Cases() => ConvCase.NetworkShapes();

    // Tensor storage is 64-byte aligned, and the kernels stream from it: aligned buffers make the figures the ops will see.
    private ArraySegment<float> _x, _weight, _bias, _y, _dx, _dWeight, _dBias, _scratch, _columns;

    [GlobalSetup]
    public void Setup()
    {
        Kernels.Threading.MaxThreads = 1;
        var g = Case.Geometry;
        var rng = new Rng(5);
        ArraySegment<float> Buffer(int length)
        {
            var segment = AlignedStorage.Allocate<float>(length);
            rng.FillUniform<float>(segment, -1, 1);
            return segment;
        }
        _x = Buffer(g.InputLength); _weight = Buffer(g.WeightLength); _bias = Buffer(g.OutChannels); _y = Buffer(g.OutputLength);
        _dx = Buffer(g.InputLength); _dWeight = Buffer(g.WeightLength); _dBias = Buffer(g.OutChannels);
        _scratch = Buffer(Math.Max(Convolution.ForwardScratchLength(g), Convolution.BackwardDataScratchLength(g)));
        _columns = Buffer(g.PatchLength * g.OutPlane);
        Im2Col.Lower<float>(g, _x.AsSpan(0, g.InChannels * g.InPlane), new float[g.PaddedGroupLength], _columns);
    }

    [Benchmark]
    public void Kernel()
    {
        var g = Case.Geometry;
        switch (Case.Product)
        {
            case ConvProduct.Forward: Convolution.Forward<float>(g, _x, _weight, _bias, _y, _scratch); break;
            case ConvProduct.InputGrad: Convolution.BackwardData<float>(g, _y, _weight, _dx, _scratch, accumulate: false); break;
            default: Convolution.BackwardWeight<float>(g, _x, _y, _dWeight, _dBias, _scratch, false, false); break;
        }
    }

    /// <summary>Only the GEMMs the kernel runs, one per sample, on a column matrix lowered once.</summary>
    [Benchmark(Baseline = true)]
    public void GemmOnly()
    {
        var g = Case.Geometry;
        int o = g.OutChannels, k = g.PatchLength, p = g.OutPlane;
        for (int n = 0; n < g.Batch; n++)
        {
            var yn = _y.AsSpan(n * o * p, o * p);
            switch (Case.Product)
            {
                case ConvProduct.Forward: Gemm.Multiply<float>(false, false, o, p, k, _weight, _columns, yn, accumulate: false); break;
                case ConvProduct.InputGrad: Gemm.Multiply<float>(true, false, k, p, o, _weight, yn, _columns, accumulate: false); break;
                default: Gemm.Multiply<float>(false, true, o, k, p, yn, _columns, _dWeight, accumulate: n > 0); break;
            }
        }
    }
}

/// <summary>Adds the GFLOP/s column.</summary>
public sealed class ConvolutionConfig : ManualConfig
{
    public ConvolutionConfig() => AddColumn(new GflopsColumn());
}
