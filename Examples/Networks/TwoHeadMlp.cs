using Autograd.Nn;

namespace Autograd.Examples.Networks;

/// <summary>
/// One trunk, two heads: the digit (10 classes) and its parity (even/odd). Training minimizes the weighted sum of
/// both cross-entropies, so the trunk's gradient is the sum of what both heads send back.
/// </summary>
internal sealed class TwoHeadMlp : Module<float>
{
    private readonly Linear<float> _trunk, _digit, _parity;
    private int[] _parityLabels = [];

    public TwoHeadMlp(int inputs, int hidden, int classes, Rng rng)
    {
        _trunk = RegisterModule("trunk", new Linear<float>(inputs, hidden, rng: rng));
        _digit = RegisterModule("digit", new Linear<float>(hidden, classes, rng: rng));
        _parity = RegisterModule("parity", new Linear<float>(hidden, 2, rng: rng));
    }

    /// <summary>Digit logits (what accuracy is measured on).</summary>
    public override Tensor<float> Forward(Tensor<float> x) => _digit.Call(_trunk.Call(x).Relu());

    /// <summary>Both heads' logits.</summary>
    public (Tensor<float> Digit, Tensor<float> Parity) Heads(Tensor<float> x)
    {
        var h = _trunk.Call(x).Relu();
        return (_digit.Call(h), _parity.Call(h));
    }

    /// <summary>Digit logits and the objective CE(digit) + <paramref name="parityWeight"/>·CE(parity).</summary>
    public (Tensor<float> Output, Tensor<float> Objective) Objective(Tensor<float> x, int[] labels, float parityWeight)
    {
        var (digit, parity) = Heads(x);
        // The targets array must stay unchanged until Backward: reuse one per batch size, refilled every step.
        if (_parityLabels.Length != labels.Length) _parityLabels = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) _parityLabels[i] = labels[i] & 1;
        return (digit, digit.CrossEntropyLoss(labels) + parity.CrossEntropyLoss(_parityLabels) * parityWeight);
    }
}
