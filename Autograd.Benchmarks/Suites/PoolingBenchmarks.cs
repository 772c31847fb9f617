using Autograd.Kernels;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks.Suites;

/// <summary>
/// float32 2×2 / stride-2 max pooling, forward (with argmax indices) and backward, on the CNN's two pooled activations
/// at batch 64: [64, 32, 28, 28] and [64, 64, 14, 14]. Both are memory-bound (6.4 and 3.2 MB in).
/// </summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    [Params("64x32x28x28", "64x64x14x14")]
    public string Shape { get; set; } = "64x32x28x28";

    private PoolGeometry _geometry;
    private ArraySegment<float> _x, _y, _dx;
    private int[] _indices = [];

    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        _geometry = new PoolGeometry(d[0] * d[1], d[2], d[3], (2, 2), (2, 2), (0, 0));
        _x = AlignedStorage.Allocate<float>(_geometry.InputLength);
        _dx = AlignedStorage.Allocate<float>(_geometry.InputLength);
        _y = AlignedStorage.Allocate<float>(_geometry.OutputLength);
        _indices = new int[_geometry.OutputLength];
        new Rng(6).FillUniform<float>(_x, -1, 1);
        Pooling.MaxForward<float>(_geometry, _x, _y, _indices);
    }

    [Benchmark]
    public void MaxPoolForward() => Pooling.MaxForward<float>(_geometry, _x, _y, _indices);

    [Benchmark]
    public void MaxPoolBackward() => Pooling.MaxBackward<float>(_geometry, _y, _indices, _dx, accumulate: false);
}
