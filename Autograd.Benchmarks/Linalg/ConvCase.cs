using Autograd.Kernels;

namespace Autograd.Benchmarks.Linalg;

/// <summary>Which product of a convolution layer a case is.</summary>
public enum ConvProduct
{
    /// <summary>y = conv(x, W) + b.</summary>
    Forward,
    /// <summary>dx from dy and W (col2im of Wᵀ·dy).</summary>
    InputGrad,
    /// <summary>dW and db from x and dy.</summary>
    WeightGrad,
}

/// <summary>
/// One product of a 3×3, stride-1, padding-1 convolution layer (the CNN of issue #13) on a batch: x [Batch, In, Size, Size],
/// weight [Out, In, 3, 3]. Every product performs the same N·O·OH·OW·C·kH·kW multiply-adds.
/// </summary>
public sealed record ConvCase(ConvProduct Product, string Layer, int Batch, int In, int Out, int Size) : IFlopCount
{
    internal ConvGeometry Geometry => new(Batch, In, Size, Size, Out, 3, 3, (1, 1), (1, 1), (1, 1), 1);

    public double Flops => 2.0 * Geometry.MultiplyAdds;

    /// <summary>How the table shows it, e.g. "conv2 dW  B64 14x14": ASCII, so any console prints it, and at most 20
    /// characters, beyond which BenchmarkDotNet shortens parameter values.</summary>
    public override string ToString() =>
        $"{Layer} {Product switch { ConvProduct.Forward => "fwd", ConvProduct.InputGrad => "dx ", _ => "dW " }} B{Batch} {Size}x{Size}";

    /// <summary>
    /// The CNN's two convolutions at batch 64: conv3×3(1→32) on 28×28 and conv3×3(32→64) on 14×14, each forward,
    /// input gradient and weight gradient (the first layer's input gradient is not needed in training, but is measured).
    /// </summary>
    public static IEnumerable<ConvCase> NetworkShapes()
    {
        foreach (var (layer, inC, outC, size) in new[] { ("conv1", 1, 32, 28), ("conv2", 32, 64, 14) })
            foreach (var product in Enum.GetValues<ConvProduct>())
                yield return new ConvCase(product, layer, 64, inC, outC, size);
    }
}
