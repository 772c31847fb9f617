using Autograd.Benchmarks.Linalg;
using Autograd.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// float32 convolution kernels on the CNN's shapes (batch 64, one thread): each of the 6 products against the bare GEMMs
/// it runs (the same products, <see cref="Convolution.SamplesPerProduct{T}"/> samples each, on column matrices lowered
/// once: transposed for a weight gradient that lowers so), so Ratio is the share of the time the lowering, padding,
/// col2im, the copies to and from the samples' planes and the bias cost on top of the GEMM. A weight gradient that is
/// a direct correlation (conv1's, on AVX-512) runs no GEMM: its GemmOnly is the column path's products it replaces. GFLOP/s counts 2·N·O·OH·OW·C·kH·kW per product.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ConvolutionConfig))]
public class ConvolutionBenchmarks
{
    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = ConvCase.NetworkShapes().First();

    public static IEnumerable<ConvCase> Cases() => ConvCase.NetworkShapes();

    // Tensor storage is 64-byte aligned, and the kernels stream from it: aligned buffers make the figures the ops will see.
    private ArraySegment<float> _x, _weight, _bias, _y, _dx, _dWeight, _dBias, _scratch, _columns, _block;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
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
        _scratch = Buffer(Math.Max(Convolution.ForwardScratchLength<float>(g),
            Math.Max(Convolution.BackwardDataScratchLength<float>(g), Convolution.BackwardWeightScratchLength<float>(g))));
        var pass = Case.Product == ConvProduct.InputGrad ? Convolution.Pass.InputGradient : Convolution.Pass.Forward;
        int samples = Convolution.SamplesPerProduct<float>(g, pass), width = samples * g.OutPlane, inPlanes = g.InChannels * g.InPlane;
        _columns = Buffer(g.PatchLength * width);
        _block = Buffer(g.OutChannels * width);
        if (Case.Product == ConvProduct.WeightGrad && Convolution.LowersTransposed(g))
            Im2Col.LowerTransposed<float>(g, _x.AsSpan(0, inPlanes), new float[Im2Col.InterleavedLength(g)], _columns);
        else
            for (int s = 0; s < samples; s++)
                Im2Col.Lower<float>(g, _x.AsSpan(s * inPlanes, inPlanes), new float[g.PaddedGroupLength], _columns.AsSpan(s * g.OutPlane), width);
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

    /// <summary>Only the GEMMs the kernel runs, one per group of samples, on a column matrix lowered once.</summary>
    [Benchmark(Baseline = true)]
    public void GemmOnly()
    {
        var g = Case.Geometry;
        int o = g.OutChannels, k = g.PatchLength, p = g.OutPlane;
        if (Case.Product == ConvProduct.WeightGrad)
        {
            bool transposed = Convolution.LowersTransposed(g);
            for (int n = 0; n < g.Batch; n++)
                Gemm.Multiply<float>(false, !transposed, o, k, p, _y.AsSpan(n * o * p, o * p), _columns, _dWeight, accumulate: n > 0);
            return;
        }
        var pass = Case.Product == ConvProduct.InputGrad ? Convolution.Pass.InputGradient : Convolution.Pass.Forward;
        int perProduct = Convolution.SamplesPerProduct<float>(g, pass);
        for (int first = 0; first < g.Batch; first += perProduct)
        {
            int width = Math.Min(perProduct, g.Batch - first) * p;
            var block = _block.AsSpan(0, o * width);
            if (Case.Product == ConvProduct.Forward) Gemm.Multiply<float>(false, false, o, width, k, _weight, _columns, block, accumulate: false);
            else Gemm.Multiply<float>(true, false, k, width, o, _weight, block, _columns, accumulate: false);
        }
    }
}

/// <summary>Adds the GFLOP/s column.</summary>
public sealed class ConvolutionConfig : ManualConfig
{
    public ConvolutionConfig() => AddColumn(new GflopsColumn());
}
