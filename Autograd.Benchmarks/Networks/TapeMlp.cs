using Autograd.Nn;

namespace Autograd.Benchmarks.Networks;

/// <summary>
/// A batch as the tape consumes it, built once outside any measured region: the input [B, in] and the labels.
/// The input is copied into 64-byte-aligned storage, as the library's DataLoader provides it; the hand-derived
/// network reads the same memory (<c>X.AsReadOnlySpan()</c>), so both see the same alignment.
/// </summary>
public sealed class TapeBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Tensor<T> X { get; }
    public int[] Labels { get; }
    public int Size => Labels.Length;

    /// <summary>Copies <paramref name="x"/> ([labels, in] row-major) into an aligned tensor; keeps <paramref name="labels"/>.</summary>
    public TapeBatch(NetworkSpec spec, T[] x, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        if (x.Length != labels.Length * spec.Sizes[0])
            throw new ArgumentException($"TapeBatch: {x.Length} input values for {labels.Length} labels × {spec.Sizes[0]} features.");
        X = Tensor.ZerosAligned<T>(labels.Length, spec.Sizes[0]);
        x.CopyTo(X.AsSpan());
        Labels = labels;
    }
}

/// <summary>
/// The benchmark networks of <see cref="NetworkSpec"/> written the way a user of the library writes them:
/// a <see cref="Sequential{T}"/> of <see cref="Linear{T}"/> and activation modules, a loss module and
/// <see cref="Sgd{T}"/>; each step runs in a <see cref="TensorScope"/> so that op buffers come from the pool.
/// </summary>
public sealed class TapeMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkSpec _spec;
    private readonly Sequential<T> _model = new();
    private readonly Linear<T>[] _layers;
    private readonly Loss<T> _loss;
    private readonly Sgd<T> _optimizer;

    /// <summary>Builds the network with the given initial parameters (copied; weight [out, in] and bias [out] per layer).</summary>
    public TapeMlp(NetworkSpec spec, (T[] Weight, T[] Bias)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != spec.Layers)
            throw new ArgumentException($"TapeMlp: {parameters.Length} layers of parameters for network '{spec.Name}' with {spec.Layers} layers.");
        _spec = spec;
        _layers = new Linear<T>[spec.Layers];
        var unusedInit = new Rng(0);   // the layers' own random initialization is overwritten right away
        for (int l = 0; l < spec.Layers; l++)
        {
            var layer = _layers[l] = new Linear<T>(spec.Sizes[l], spec.Sizes[l + 1], rng: unusedInit);
            parameters[l].Weight.CopyTo(layer.Weight.AsSpan());
            parameters[l].Bias.CopyTo(layer.Bias!.AsSpan());
            _model.Add(layer);
            bool last = l == spec.Layers - 1;
            if (!last) _model.Add(spec.Hidden == HiddenActivation.Relu ? new ReLU<T>() : new Sigmoid<T>());
            else if (spec.Loss == OutputLoss.SigmoidQuadratic) _model.Add(new Sigmoid<T>());
        }
        // Σ over the batch of ½‖a − y‖² is MseLoss(Sum)/2; Criterion divides by B for the mean over the batch.
        _loss = spec.Loss == OutputLoss.SoftmaxCrossEntropy ? new CrossEntropyLoss<T>() : new MseLoss<T>(Reduction.Sum);
        _optimizer = new Sgd<T>(_model.Parameters(), lr: 0);
    }

    public NetworkSpec Spec => _spec;
    /// <summary>Weights [out, in] per layer (leaves; their <see cref="Tensor{T}.Grad"/> holds the last backward's gradient).</summary>
    public IReadOnlyList<Tensor<T>> Weights => _layers.Select(l => l.Weight).ToArray();
    public IReadOnlyList<Tensor<T>> Biases => _layers.Select(l => l.Bias!).ToArray();

    /// <summary>The mean loss over the batch: softmax cross-entropy, or ½‖a − y‖² / B for the quadratic cost.</summary>
    private Tensor<T> Criterion(Tensor<T> output, TapeBatch<T> batch) =>
        _spec.Loss == OutputLoss.SoftmaxCrossEntropy
            ? _loss.Forward(output, batch.Labels)
            : _loss.Forward(output, batch.Labels).Mul(T.CreateChecked(0.5) / T.CreateChecked(batch.Size));

    /// <summary>Zeroes the gradients, then forward and backward: fills every parameter's Grad; returns the loss.</summary>
    public T ForwardBackward(TapeBatch<T> batch) => Run(batch, learningRate: null);

    /// <summary>One training step (zero grads, forward, backward, SGD). Returns the loss before the update.</summary>
    public T Step(TapeBatch<T> batch, T learningRate) => Run(batch, learningRate);

    private T Run(TapeBatch<T> batch, T? learningRate)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using (TensorScope.Begin())
        {
            _optimizer.ZeroGrad();
            var loss = Criterion(_model.Forward(batch.X), batch);
            loss.Backward();
            if (learningRate is { } lr)
            {
                _optimizer.LearningRate = double.CreateChecked(lr);
                _optimizer.Step();
            }
            return loss.Item();
        }
    }

    /// <summary>Forward only under <see cref="Grad.NoGrad"/> (inference); copies the output into <paramref name="output"/>.</summary>
    public void Infer(TapeBatch<T> batch, Span<T> output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using (Grad.NoGrad())
        using (TensorScope.Begin())
            _model.Forward(batch.X).AsReadOnlySpan().CopyTo(output);
    }
}
