namespace Autograd.Onnx;

/// <summary>
/// A value of the graph being built: its ONNX name and <see cref="Sample"/>, the tensor it holds when the model runs
/// on the export's sample input (eval mode). Emitters read the sample's shape to choose attributes and compute the
/// next value's sample with the library's own ops.
/// </summary>
public readonly struct OnnxValue<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal OnnxValue(string name, Tensor<T> sample)
    {
        Name = name;
        Sample = sample;
    }

    /// <summary>The value's name in the ONNX graph (an input of the nodes that consume it).</summary>
    public string Name { get; }

    /// <summary>The value on the sample input; axis 0 is the batch axis.</summary>
    public Tensor<T> Sample { get; }

    /// <summary>The sample's shape.</summary>
    public Shape Shape => Sample.Shape;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shape}";
}
