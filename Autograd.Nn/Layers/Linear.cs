using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// A fully connected layer y = x·Wᵀ + b over the last axis, with PyTorch's layout (weight [out, in]) and
/// default initialization: weight and bias from U(−1/√in, 1/√in).
/// </summary>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Size of the last input axis.</summary>
    public int InFeatures { get; }

    /// <summary>Size of the last output axis.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, [out, in], registered as "weight".</summary>
    public Tensor<T> Weight { get; }

    /// <summary>The bias, [out], registered as "bias"; null when the layer has none.</summary>
    public Tensor<T>? Bias { get; }

    /// <summary>Creates the layer, drawing its initial values from <paramref name="rng"/> (or <see cref="Init.DefaultRng"/>).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: features must be positive, got in={inFeatures}, out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        rng ??= Init.DefaultRng;
        // PyTorch: kaiming_uniform_(a=√5) on the weight, which works out to the same bound as the bias.
        double bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Init.Uniform(NewParameter(outFeatures, inFeatures), -bound, bound, rng));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(NewParameter(outFeatures), -bound, bound, rng));
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x) => x.Linear(Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraDescription =>
        string.Create(CultureInfo.InvariantCulture, $"in={InFeatures}, out={OutFeatures}, bias={(Bias is not null ? "true" : "false")}");
}
