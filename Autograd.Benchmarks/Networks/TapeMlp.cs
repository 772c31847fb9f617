using System.Numerics.Tensors;

namespace Autograd.Benchmarks.Networks;

/// <summary>A batch as the tape consumes it, built once outside any measured region: input [B, in], labels and, for the quadratic cost, the one-hot targets.</summary>
public sealed class TapeBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Tensor<T> X { get; }
    public int[] Labels { get; }
    /// <summary>One-hot targets [B, classes] for <see cref="OutputLoss.SigmoidQuadratic"/>; null for cross-entropy.</summary>
    public Tensor<T>? OneHot { get; }
    public int Size => Labels.Length;

    /// <summary>Wraps <paramref name="x"/> (no copy: the tensor shares the array) with <paramref name="labels"/>.</summary>
    public TapeBatch(NetworkSpec spec, T[] x, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(labels);
        X = new Tensor<T>(x, new Shape(labels.Length, spec.Sizes[0]));
        Labels = labels;
        if (spec.Loss == OutputLoss.SigmoidQuadratic) OneHot = Ops.OneHot<T>(labels, spec.Sizes[^1]);
    }
}

/// <summary>
/// The benchmark networks of <see cref="NetworkSpec"/> trained through the tape: what a user of the library writes.
/// The model, the criterion and the update are three small methods (<see cref="Forward"/>, <see cref="Criterion"/>,
/// <see cref="SgdUpdate"/>) so that moving them onto Autograd.Nn (Sequential of Linear/ReLU, CrossEntropyLoss, Sgd)
/// touches nothing else. Each step runs in a <see cref="TensorScope"/> so op buffers come from the pool.
/// </summary>
public sealed class TapeMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkSpec _spec;
    private readonly Tensor<T>[] _weights, _biases;

    public TapeMlp(NetworkSpec spec, (T[] Weight, T[] Bias)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != spec.Layers)
            throw new ArgumentException($"TapeMlp: {parameters.Length} layers of parameters for network '{spec.Name}' with {spec.Layers} layers.");
        _spec = spec;
        _weights = new Tensor<T>[spec.Layers];
        _biases = new Tensor<T>[spec.Layers];
        for (int l = 0; l < spec.Layers; l++)
        {
            // Copies, so that the caller's arrays (shared with the hand-derived network) stay the initial values.
            _weights[l] = Tensor.FromArray((T[])parameters[l].Weight.Clone(), spec.Sizes[l + 1], spec.Sizes[l]);
            _biases[l] = Tensor.FromArray((T[])parameters[l].Bias.Clone(), spec.Sizes[l + 1]);
            _weights[l].RequiresGrad = true;
            _biases[l].RequiresGrad = true;
        }
    }

    public NetworkSpec Spec => _spec;
    /// <summary>Weights [out, in] per layer (leaves; their <see cref="Tensor{T}.Grad"/> holds the last backward's gradient).</summary>
    public IReadOnlyList<Tensor<T>> Weights => _weights;
    public IReadOnlyList<Tensor<T>> Biases => _biases;

    /// <summary>The model: logits (or sigmoid outputs for the quadratic cost) for input [B, in].</summary>
    public Tensor<T> Forward(Tensor<T> x)
    {
        int last = _spec.Layers - 1;
        for (int l = 0; l <= last; l++)
        {
            x = x.Linear(_weights[l], _biases[l]);
            if (l < last) x = _spec.Hidden == HiddenActivation.Relu ? x.Relu() : x.Sigmoid();
            else if (_spec.Loss == OutputLoss.SigmoidQuadratic) x = x.Sigmoid();
        }
        return x;
    }

    /// <summary>The mean loss over the batch: softmax cross-entropy, or ½‖a − y‖² / B for the quadratic cost.</summary>
    public Tensor<T> Criterion(Tensor<T> output, TapeBatch<T> batch) =>
        _spec.Loss == OutputLoss.SoftmaxCrossEntropy
            ? output.CrossEntropy(batch.Labels)
            : output.MseLoss(batch.OneHot!, Reduction.Sum).Mul(T.CreateChecked(0.5) / T.CreateChecked(batch.Size));

    /// <summary>Plain SGD in place: w −= lr·grad.</summary>
    private void SgdUpdate(T learningRate)
    {
        for (int l = 0; l < _spec.Layers; l++)
        {
            Update(_weights[l], learningRate);
            Update(_biases[l], learningRate);
        }

        static void Update(Tensor<T> p, T lr)
        {
            var w = p.AsSpan();
            TensorPrimitives.MultiplyAdd(p.Grad!.AsReadOnlySpan(), -lr, w, w);
        }
    }

    private void ZeroGrad()
    {
        for (int l = 0; l < _spec.Layers; l++) { _weights[l].ZeroGrad(); _biases[l].ZeroGrad(); }
    }

    /// <summary>Zeroes the gradients, then forward and backward: fills every parameter's Grad; returns the loss.</summary>
    public T ForwardBackward(TapeBatch<T> batch) => Run(batch, update: false, default);

    /// <summary>One training step (zero grads, forward, backward, SGD). Returns the loss before the update.</summary>
    public T Step(TapeBatch<T> batch, T learningRate) => Run(batch, update: true, learningRate);

    private T Run(TapeBatch<T> batch, bool update, T learningRate)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using (TensorScope.Begin())
        {
            ZeroGrad();
            var loss = Criterion(Forward(batch.X), batch);
            loss.Backward();
            if (update) SgdUpdate(learningRate);
            return loss.Item();
        }
    }

    /// <summary>Forward only under <see cref="Grad.NoGrad"/> (inference); copies the output into <paramref name="output"/>.</summary>
    public void Infer(TapeBatch<T> batch, Span<T> output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using (Grad.NoGrad())
        using (TensorScope.Begin())
            Forward(batch.X).AsReadOnlySpan().CopyTo(output);
    }
}
