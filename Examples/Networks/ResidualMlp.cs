using Autograd.Nn;

namespace Autograd.Examples.Networks;

/// <summary>
/// An MLP with skip connections: h ← h + ReLU(Linear(h)) per block. The sum makes h feed two ops, so its gradient
/// is the sum of both paths: the tape handles that; no backward code is written here.
/// </summary>
internal sealed class ResidualMlp : Module<float>
{
    private readonly Linear<float> _input, _output;
    private readonly Linear<float>[] _blocks;

    public ResidualMlp(int inputs, int width, int classes, int blocks, Rng rng)
    {
        _input = RegisterModule("input", HeLinear(inputs, width, rng));
        _blocks = new Linear<float>[blocks];
        for (int i = 0; i < blocks; i++)
        {
            // Zero-initialized residual branches start each block as the identity, which keeps deep stacks trainable.
            _blocks[i] = RegisterModule($"block{i}", new Linear<float>(width, width, rng: rng));
            Init.Zeros(_blocks[i].Weight);
            Init.Zeros(_blocks[i].Bias!);
        }
        _output = RegisterModule("output", HeLinear(width, classes, rng));
    }

    private static Linear<float> HeLinear(int inputs, int outputs, Rng rng)
    {
        var l = new Linear<float>(inputs, outputs, rng: rng);
        Init.KaimingNormal(l.Weight, rng);
        Init.Zeros(l.Bias!);
        return l;
    }

    public override Tensor<float> Forward(Tensor<float> x)
    {
        var h = _input.Call(x).Relu();
        foreach (var block in _blocks) h = h + block.Call(h).Relu();
        return _output.Call(h);
    }
}
