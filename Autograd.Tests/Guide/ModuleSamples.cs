using Autograd.Nn;

namespace Autograd.Tests.Guide;

#region mlp
/// <summary>Two layers with dropout between them and a learned scale per input feature.</summary>
sealed class ScaledMlp : Module<float>
{
    private readonly Tensor<float> _scale;
    private readonly Linear<float> _hidden, _output;
    private readonly Dropout<float> _dropout;

    public ScaledMlp(int inputs, int hidden, int classes, Rng rng)
    {
        // Registration order fixes the order of Parameters() and the saved names: scale, hidden.weight, …
        _scale = RegisterParameter("scale", Init.Ones(NewParameter(inputs)));
        _hidden = RegisterModule("hidden", new Linear<float>(inputs, hidden, rng: rng));
        _dropout = RegisterModule("dropout", new Dropout<float>(0.2, rng));
        _output = RegisterModule("output", new Linear<float>(hidden, classes, rng: rng));
    }

    // Forward code only: the tape records it, Backward differentiates it.
    public override Tensor<float> Forward(Tensor<float> x) =>
        _output.Call(_dropout.Call(_hidden.Call(x * _scale).Relu()));
}
#endregion

#region centering
/// <summary>
/// Subtracts the mean of its input over the batch: in training the batch's own mean (and it updates a running
/// average), in evaluation the running average, like BatchNorm without the scaling.
/// </summary>
sealed class Centering : Module<float>
{
    private readonly Tensor<float> _runningMean;
    private readonly Int64Buffer _batchesTracked;

    public Centering(int features)
    {
        // Buffers are saved and loaded with the module but are not parameters: no optimizer sees them.
        _runningMean = RegisterBuffer("running_mean", NewParameter(features));
        _batchesTracked = RegisterBuffer("num_batches_tracked", new Int64Buffer());
    }

    public override Tensor<float> Forward(Tensor<float> x)
    {
        if (!IsTraining) return x - _runningMean;
        var mean = x.Mean(axis: 0);
        // The buffer is updated in place, outside the graph (a span write is never recorded).
        var running = _runningMean.AsSpan();
        var batch = mean.AsReadOnlySpan();
        for (int i = 0; i < running.Length; i++) running[i] = 0.9f * running[i] + 0.1f * batch[i];
        _batchesTracked.Value++;
        return x - mean;
    }
}
#endregion

/// <summary>The method-body samples of docs/guide/writing-a-module.md.</summary>
internal static class ModuleSamples
{
    public static (Sequential<float> Model, string[] Names, string Description, Tensor<float> X, Tensor<float> First, Tensor<float> Second) UseTheModules()
    {
        #region use-modules
        var rng = new Rng(seed: 1);
        var model = new Sequential<float>(new Centering(8), new ScaledMlp(8, 16, 3, rng));
        var x = Tensor.Uniform<float>(new Shape(4, 8), 0, 1, rng);    // a batch of 4 samples
        string[] names = model.NamedParameters().Select(p => p.Key).ToArray();
        // ["1.scale", "1.hidden.weight", "1.hidden.bias", "1.output.weight", "1.output.bias"]
        Console.WriteLine(model);
        // Sequential(
        //   (0): Centering()
        //   (1): ScaledMlp(
        //     (hidden): Linear(in=8, out=16, bias=true)
        //     (dropout): Dropout(p=0.2)
        //     (output): Linear(in=16, out=3, bias=true)
        //   )
        // )

        model.Forward(x);              // training mode (the default): dropout is on, the running mean moves
        model.Eval();                  // evaluation for the whole tree: dropout is the identity, Centering uses its average
        var first = model.Forward(x);
        var second = model.Forward(x); // the same values as first
        model.Train();                 // back to training
        #endregion
        return (model, names, model.ToString(), x, first, second);
    }
}
