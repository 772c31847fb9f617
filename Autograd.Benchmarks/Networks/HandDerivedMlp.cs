using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Benchmarks.Networks;

/// <summary>
/// An MLP with forward, backward and SGD derived by hand, written against the same kernels the tape uses
/// (<see cref="Gemm"/>, <see cref="RowKernels"/>, TensorPrimitives). This is what the course labs wrote in NumPy; here it
/// is the baseline that shows what the tape costs. Buffers are allocated per batch size once; a step allocates nothing.
/// </summary>
public sealed class HandDerivedMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkSpec _spec;
    private readonly T[][] _w, _b, _gw, _gb;
    private int _batch = -1;
    private T[][] _act = [], _grad = [];   // _act[0] is the input copy; _act[l+1] the output of layer l

    public HandDerivedMlp(NetworkSpec spec, (T[] Weight, T[] Bias)[] parameters)
    {
        _spec = spec;
        _w = parameters.Select(p => (T[])p.Weight.Clone()).ToArray();
        _b = parameters.Select(p => (T[])p.Bias.Clone()).ToArray();
        _gw = _w.Select(w => new T[w.Length]).ToArray();
        _gb = _b.Select(b => new T[b.Length]).ToArray();
    }

    /// <summary>Gradients of the last <see cref="ForwardBackward"/>, per layer.</summary>
    public IReadOnlyList<T[]> WeightGrads => _gw;
    public IReadOnlyList<T[]> BiasGrads => _gb;
    public IReadOnlyList<T[]> Weights => _w;

    private void EnsureBuffers(int batch)
    {
        if (batch == _batch) return;
        _batch = batch;
        _act = _spec.Sizes.Select(n => new T[batch * n]).ToArray();
        _grad = _spec.Sizes.Select(n => new T[batch * n]).ToArray();
    }

    /// <summary>Forward pass; returns the output layer (logits, or sigmoid outputs for the quadratic cost).</summary>
    public ReadOnlySpan<T> Forward(ReadOnlySpan<T> x, int batch)
    {
        EnsureBuffers(batch);
        var sizes = _spec.Sizes;
        x[..(batch * sizes[0])].CopyTo(_act[0]);
        for (int l = 0; l < _spec.Layers; l++)
        {
            var z = _act[l + 1].AsSpan();
            for (int r = 0; r < batch; r++) _b[l].CopyTo(z.Slice(r * sizes[l + 1], sizes[l + 1]));
            Gemm.Multiply<T>(false, true, batch, sizes[l + 1], sizes[l], _act[l], _w[l], z, accumulate: true);
            bool last = l == _spec.Layers - 1;
            if (!last && _spec.Hidden == HiddenActivation.Relu) TensorPrimitives.Max(z, T.Zero, z);
            else if (!last || _spec.Loss == OutputLoss.SigmoidQuadratic) TensorPrimitives.Sigmoid(z, z);
        }
        return _act[^1];
    }

    /// <summary>Forward and backward: fills the gradients and returns the mean loss over the batch.</summary>
    public T ForwardBackward(ReadOnlySpan<T> x, ReadOnlySpan<int> labels, int batch)
    {
        Forward(x, batch);
        var sizes = _spec.Sizes;
        int classes = sizes[^1];
        var output = _act[^1].AsSpan();
        var dz = _grad[^1].AsSpan();
        T loss = T.Zero, invBatch = T.One / T.CreateChecked(batch);
        if (_spec.Loss == OutputLoss.SoftmaxCrossEntropy)
        {
            // d(mean CE)/dz = (softmax − onehot) / B
            RowKernels.Softmax<T>(output, dz, batch, classes);
            for (int r = 0; r < batch; r++)
            {
                ref T p = ref dz[r * classes + labels[r]];
                loss -= T.Log(p);
                p -= T.One;
            }
            TensorPrimitives.Multiply(dz, invBatch, dz);
        }
        else
        {
            // cost = (1/B) Σ ½‖a − y‖²;  dcost/dz = (a − y)·a(1 − a) / B
            output.CopyTo(dz);
            for (int r = 0; r < batch; r++) dz[r * classes + labels[r]] -= T.One;
            loss = TensorPrimitives.SumOfSquares<T>(dz) * T.CreateChecked(0.5);
            for (int i = 0; i < dz.Length; i++) dz[i] *= output[i] * (T.One - output[i]) * invBatch;
        }

        for (int l = _spec.Layers - 1; l >= 0; l--)
        {
            var g = _grad[l + 1].AsSpan();
            Gemm.Multiply<T>(true, false, sizes[l + 1], sizes[l], batch, g, _act[l], _gw[l], accumulate: false);
            _gb[l].AsSpan().Clear();
            RowKernels.AccumulateColumnSums<T>(g, _gb[l], batch);
            if (l == 0) break;
            var gPrev = _grad[l].AsSpan();
            Gemm.Multiply<T>(false, false, batch, sizes[l], sizes[l + 1], g, _w[l], gPrev, accumulate: false);
            var a = _act[l].AsSpan();
            if (_spec.Hidden == HiddenActivation.Relu)
            {
                for (int i = 0; i < gPrev.Length; i++) if (!(a[i] > T.Zero)) gPrev[i] = T.Zero;
            }
            else
                for (int i = 0; i < gPrev.Length; i++) gPrev[i] *= a[i] * (T.One - a[i]);
        }
        return loss * invBatch;
    }

    /// <summary>One training step: forward, backward and plain SGD (w −= lr·g). Returns the loss before the update.</summary>
    public T Step(ReadOnlySpan<T> x, ReadOnlySpan<int> labels, int batch, T learningRate)
    {
        T loss = ForwardBackward(x, labels, batch);
        for (int l = 0; l < _spec.Layers; l++)
        {
            TensorPrimitives.MultiplyAdd(_gw[l], -learningRate, _w[l], _w[l]);
            TensorPrimitives.MultiplyAdd(_gb[l], -learningRate, _b[l], _b[l]);
        }
        return loss;
    }
}
