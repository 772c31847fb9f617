using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// Inverted dropout: in training mode each element is zeroed with probability p and the survivors are scaled by
/// 1/(1−p), so the expected activation is unchanged and evaluation needs no rescaling; in eval mode it is the identity.
/// The mask is drawn from a seeded <see cref="Rng"/> and applied with an ordinary Mul, so its gradient is the mask.
/// </summary>
public sealed class Dropout<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Rng _rng;

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>Creates the layer; the mask comes from <paramref name="rng"/> (or <see cref="Init.DefaultRng"/>).</summary>
    public Dropout(double p = 0.5, Rng? rng = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1], got {p}.");
        P = p;
        _rng = rng ?? Init.DefaultRng;
    }

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        if (!IsTraining || P == 0) return x;
        // The mask is an op-sized tensor: inside a TensorScope it is rented from the thread's pool and returned at the
        // end of the step, so a training step allocates nothing, and two calls in one graph never share a mask
        // (a single cached buffer would be overwritten before backward reads it).
        var mask = Tensor.Empty<T>(x.Shape);
        var m = mask.AsSpan();
        if (P == 1) m.Clear();
        else
        {
            var keep = T.CreateChecked(1.0 / (1.0 - P));
            for (int i = 0; i < m.Length; i++) m[i] = _rng.NextDouble() < P ? T.Zero : keep;
        }
        return x * mask;
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"p={P}");
}
