using System.Globalization;

namespace Autograd.Nn;

/// <summary>max(x, 0) elementwise.</summary>
public sealed class ReLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Relu();
}

/// <summary>Returns its input unchanged (a placeholder, e.g. to switch a layer off).</summary>
public sealed class Identity<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x;
}
