using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Benchmarks.Networks;

/// <summary>
/// An MLP with forward, backward and SGD derived by hand, written against the same kernels the tape uses
/// (<see cref="Gemm"/>, <see cref="RowKernels"/>, <see cref="InPlace"/>, TensorPrimitives). This is what the course labs wrote in NumPy; here it
/// is the baseline that shows what the tape costs. Buffers are allocated per batch size once; a step allocates nothing.
/// Like the tape's parameters, gradients and pooled buffers, every buffer starts on a 64-byte boundary
/// (<see cref="AlignedStorage"/>), so that the comparison does not depend on where the GC placed the arrays.
/// </summary>
public sealed class HandDerivedMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkSpec _spec;
    private readonly ArraySegment<T>[] _w, _b, _gw, _gb;
    private int _batch = -1;
    // _act[l+1] is the output of layer l (after its activation; the logits for the last softmax layer) and _grad[l+1]
    // the loss gradient w.r.t. layer l's pre-activation. Index 0 is unused: the caller's input is read in place.
    private ArraySegment<T>[] _act = [], _grad = [];

    public HandDerivedMlp(NetworkSpec spec, (T[] Weight, T[] Bias)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != spec.Layers)
            throw new ArgumentException($"HandDerivedMlp: {parameters.Length} layers of parameters for network '{spec.Name}' with {spec.Layers} layers.");
        for (int l = 0; l < spec.Layers; l++)
            if (parameters[l].Weight.Length != spec.Sizes[l + 1] * spec.Sizes[l] || parameters[l].Bias.Length != spec.Sizes[l + 1])
                throw new ArgumentException($"HandDerivedMlp: layer {l} of '{spec.Name}' needs weight [{spec.Sizes[l + 1]}, {spec.Sizes[l]}] and bias [{spec.Sizes[l + 1]}], " +
                    $"got {parameters[l].Weight.Length} and {parameters[l].Bias.Length} values.");
        _spec = spec;
        _w = parameters.Select(p => AlignedCopy(p.Weight)).ToArray();
        _b = parameters.Select(p => AlignedCopy(p.Bias)).ToArray();
        _gw = _w.Select(w => AlignedStorage.Allocate<T>(w.Count)).ToArray();
        _gb = _b.Select(b => AlignedStorage.Allocate<T>(b.Count)).ToArray();
    }

    private static ArraySegment<T> AlignedCopy(T[] values)
    {
        var segment = AlignedStorage.Allocate<T>(values.Length);
        values.CopyTo(segment.AsSpan());
        return segment;
    }

    /// <summary>Gradients of the last <see cref="ForwardBackward"/>, per layer ([out, in] row-major).</summary>
    public IReadOnlyList<ArraySegment<T>> WeightGrads => _gw;
    /// <summary>Bias gradients of the last <see cref="ForwardBackward"/>, per layer.</summary>
    public IReadOnlyList<ArraySegment<T>> BiasGrads => _gb;
    /// <summary>The current weights, per layer ([out, in] row-major; writable, e.g. for finite differences).</summary>
    public IReadOnlyList<ArraySegment<T>> Weights => _w;
    /// <summary>The current biases, per layer.</summary>
    public IReadOnlyList<ArraySegment<T>> Biases => _b;

    private void EnsureBuffers(int batch)
    {
        if (batch == _batch) return;
        _batch = batch;
        // Plain loops: a lambda capturing batch would allocate its closure on every call, even on the early return.
        _act = new ArraySegment<T>[_spec.Sizes.Length];
        _grad = new ArraySegment<T>[_spec.Sizes.Length];
        for (int i = 0; i < _act.Length; i++)
        {
            _act[i] = AlignedStorage.Allocate<T>(i == 0 ? 0 : batch * _spec.Sizes[i]);
            _grad[i] = AlignedStorage.Allocate<T>(i == 0 ? 0 : batch * _spec.Sizes[i]);
        }
    }

    private void CheckInput(ReadOnlySpan<T> x, int batch)
    {
        if (batch <= 0 || x.Length != batch * _spec.Sizes[0])
            throw new ArgumentException($"HandDerivedMlp '{_spec.Name}': {x.Length} input values for a batch of {batch} × {_spec.Sizes[0]} features.");
    }

    /// <summary>Forward pass; returns the output layer (logits, or sigmoid outputs for the quadratic cost).</summary>
    public ReadOnlySpan<T> Forward(ReadOnlySpan<T> x, int batch)
    {
        CheckInput(x, batch);
        EnsureBuffers(batch);
        var sizes = _spec.Sizes;
        for (int l = 0; l < _spec.Layers; l++)
        {
            ReadOnlySpan<T> input = l == 0 ? x : _act[l];
            var z = _act[l + 1].AsSpan();
            CopyBiasIntoRows(_b[l], z, batch);
            Gemm.Multiply<T>(false, true, batch, sizes[l + 1], sizes[l], input, _w[l], z, accumulate: true);
            bool last = l == _spec.Layers - 1;
            if (!last && _spec.Hidden == HiddenActivation.Relu) TensorPrimitives.Max(z, T.Zero, z);
            else if (!last || _spec.Loss == OutputLoss.SigmoidQuadratic) TensorPrimitives.Sigmoid(z, z);
        }
        return _act[^1];
    }

    private static void CopyBiasIntoRows(ReadOnlySpan<T> bias, Span<T> z, int rows)
    {
        for (int r = 0; r < rows; r++) bias.CopyTo(z.Slice(r * bias.Length, bias.Length));
    }

    /// <summary>Forward and backward: fills the gradients and returns the mean loss over the batch.</summary>
    public T ForwardBackward(ReadOnlySpan<T> x, ReadOnlySpan<int> labels, int batch)
    {
        Forward(x, batch);
        var sizes = _spec.Sizes;
        int classes = sizes[^1];
        if (labels.Length != batch)
            throw new ArgumentException($"HandDerivedMlp '{_spec.Name}': {labels.Length} labels for a batch of {batch}.");
        for (int r = 0; r < batch; r++)
            if ((uint)labels[r] >= (uint)classes)   // an out-of-range label would silently hit another row
                throw new ArgumentOutOfRangeException(nameof(labels), $"HandDerivedMlp '{_spec.Name}': label {labels[r]} at index {r} is outside [0, {classes}).");

        var output = _act[^1].AsSpan();
        var dz = _grad[^1].AsSpan();
        T loss = T.Zero, invBatch = T.One / T.CreateChecked(batch);
        if (_spec.Loss == OutputLoss.SoftmaxCrossEntropy)
        {
            // loss_r = log Σ exp(z − max) − (z_t − max), which stays finite where log(softmax) would underflow to −∞;
            // d(mean CE)/dz = (softmax − onehot) / B.
            for (int r = 0; r < batch; r++)
            {
                var zr = output.Slice(r * classes, classes); var pr = dz.Slice(r * classes, classes);
                TensorPrimitives.Subtract(zr, TensorPrimitives.Max(zr), pr);
                T shiftedTarget = pr[labels[r]];
                TensorPrimitives.Exp(pr, pr);
                T sum = TensorPrimitives.Sum<T>(pr);
                TensorPrimitives.Divide(pr, sum, pr);
                loss += T.Log(sum) - shiftedTarget;
                pr[labels[r]] -= T.One;
            }
            InPlace.Scale(dz, invBatch);
        }
        else
        {
            // cost = (1/B) Σ ½‖a − y‖²;  dcost/dz = (a − y)·a(1 − a) / B
            output.CopyTo(dz);
            for (int r = 0; r < batch; r++) dz[r * classes + labels[r]] -= T.One;
            loss = TensorPrimitives.SumOfSquares<T>(dz) * T.CreateChecked(0.5);
            ScaleBySigmoidDerivative(dz, output);
            InPlace.Scale(dz, invBatch);
        }

        for (int l = _spec.Layers - 1; l >= 0; l--)
        {
            var g = _grad[l + 1].AsSpan();
            ReadOnlySpan<T> input = l == 0 ? x : _act[l];
            Gemm.Multiply<T>(true, false, sizes[l + 1], sizes[l], batch, g, input, _gw[l], accumulate: false);
            RowKernels.ColumnSums<T>(g, _gb[l], batch, accumulate: false);
            if (l == 0) break;
            var gPrev = _grad[l].AsSpan();
            Gemm.Multiply<T>(false, false, batch, sizes[l], sizes[l + 1], g, _w[l], gPrev, accumulate: false);
            if (_spec.Hidden == HiddenActivation.Relu) MaskByReluOutput(gPrev, _act[l]);
            else ScaleBySigmoidDerivative(gPrev, _act[l]);
        }
        return loss * invBatch;
    }

    // g ⊙= f'(a) in place, through the tape's activation kernels (an elementwise pass may write the span it reads).
    private static void MaskByReluOutput(Span<T> g, ReadOnlySpan<T> a) => RowKernels.ReluBackward<T>(a, g, g, accumulate: false);

    private static void ScaleBySigmoidDerivative(Span<T> g, ReadOnlySpan<T> a) => RowKernels.SigmoidBackward<T>(a, g, g, accumulate: false);

    /// <summary>One training step: forward, backward and plain SGD (w −= lr·g). Returns the loss before the update.</summary>
    public T Step(ReadOnlySpan<T> x, ReadOnlySpan<int> labels, int batch, T learningRate)
    {
        T loss = ForwardBackward(x, labels, batch);
        for (int l = 0; l < _spec.Layers; l++)
        {
            // InPlace, as the optimizers do: TensorPrimitives.MultiplyAdd with destination = addend runs ~3.6× slower.
            InPlace.AddScaled<T>(_w[l], _gw[l], -learningRate);
            InPlace.AddScaled<T>(_b[l], _gb[l], -learningRate);
        }
        return loss;
    }
}
