namespace Autograd.Kernels;

/// <summary>
/// Row-wise kernels on row-major [rows × cols] spans: softmax, log-softmax, bias broadcast, column sums and
/// the activation masks. Shared by the ops and by the hand-derived benchmark networks, so that "tape vs hand"
/// compares bookkeeping only. No tensors, no tape, no allocation.
/// </summary>
public static class RowKernels
{
    /// <summary>y[r] = softmax(x[r]) for each row, shifted by the row max so that exp cannot overflow.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols); var yr = y.Slice(r * cols, cols);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Divide(yr, TensorPrimitives.Sum<T>(yr), yr);
        }
    }

    /// <summary>y[r] = log_softmax(x[r]) = x − max − log Σ exp(x − max) for each row.</summary>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols); var yr = y.Slice(r * cols, cols);
            T max = TensorPrimitives.Max(xr);
            // Σ exp through the destination row itself, then overwrite it: no scratch buffer needed.
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            T logSum = T.Log(TensorPrimitives.Sum<T>(yr));
            // (x − max) − logSum, not x − (max + logSum): for |x| ~ 1e4 in float32 the sum would lose logSum's digits.
            TensorPrimitives.Subtract(xr, max, yr);
            InPlace.AddScalar(yr, -logSum);
        }
    }

    /// <summary>y[r] += bias for each row.</summary>
    public static void AddRowVector<T>(Span<T> y, ReadOnlySpan<T> bias, int rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = bias.Length;
        for (int r = 0; r < rows; r++) { var yr = y.Slice(r * cols, cols); InPlace.Add(yr, bias); }
    }

    /// <summary>destination += Σ_r x[r] (the gradient of a bias broadcast over rows).</summary>
    public static void AccumulateColumnSums<T>(ReadOnlySpan<T> x, Span<T> destination, int rows) where T : unmanaged, IFloatingPointIeee754<T> =>
        ColumnSums(x, destination, rows, accumulate: true);

    /// <summary>destination = Σ_r x[r], or destination += Σ_r x[r] when <paramref name="accumulate"/>.</summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> x, Span<T> destination, int rows, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = destination.Length, r = 0;
        if (!accumulate)
        {
            if (rows == 0) { destination.Clear(); return; }
            x[..cols].CopyTo(destination);
            r = 1;
        }
        for (; r < rows; r++) InPlace.Add(destination, x.Slice(r * cols, cols));
    }

    /// <summary>grad += gy where y &gt; 0 (ReLU backward from its saved output; the subgradient at 0 is 0).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad) where T : unmanaged, IFloatingPointIeee754<T> =>
        ReluBackward(y, gy, grad, accumulate: true);

    /// <summary>grad = (gy where y &gt; 0, else 0), or grad += that when <paramref name="accumulate"/>.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((uint)y.Length < (uint)grad.Length || (uint)gy.Length < (uint)grad.Length)
            throw new ArgumentException($"ReluBackward: output ({y.Length}) and gradient ({gy.Length}) spans are shorter than the destination ({grad.Length}).");
        int i = 0;
        if (Vector.IsHardwareAccelerated && grad.Length >= Vector<T>.Count)
        {
            // A branch per element mispredicts on ReLU's random sign pattern; a mask select does not.
            for (; i <= grad.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var active = Vector.GreaterThan(new Vector<T>(y[i..]), Vector<T>.Zero);
                var passed = Vector.ConditionalSelect(active, new Vector<T>(gy[i..]), Vector<T>.Zero);
                (accumulate ? new Vector<T>(grad[i..]) + passed : passed).CopyTo(grad[i..]);
            }
        }
        for (; i < grad.Length; i++)
        {
            T passed = y[i] > T.Zero ? gy[i] : T.Zero;
            grad[i] = accumulate ? grad[i] + passed : passed;
        }
    }

    /// <summary>grad (+)= gy ⊙ y(1 − y): the sigmoid's backward from its output y.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardFromOutput<T, SigmoidDerivative<T>>(y, gy, grad, accumulate);

    /// <summary>grad (+)= gy ⊙ (1 − y²): tanh's backward from its output y.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardFromOutput<T, TanhDerivative<T>>(y, gy, grad, accumulate);

    /// <summary>An activation's derivative expressed through its output y.</summary>
    private interface IDerivativeFromOutput<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract Vector<T> Of(Vector<T> y);
        static abstract T Of(T y);
    }

    private readonly struct SigmoidDerivative<T> : IDerivativeFromOutput<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Vector<T> Of(Vector<T> y) => y * (Vector<T>.One - y);
        public static T Of(T y) => y * (T.One - y);
    }

    private readonly struct TanhDerivative<T> : IDerivativeFromOutput<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Vector<T> Of(Vector<T> y) => Vector<T>.One - y * y;
        public static T Of(T y) => T.One - y * y;
    }

    // One pass instead of derivative-into-scratch then multiply-add: the backward is memory-bound.
    private static void BackwardFromOutput<T, TDerivative>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TDerivative : IDerivativeFromOutput<T>
    {
        if ((uint)y.Length < (uint)grad.Length || (uint)gy.Length < (uint)grad.Length)
            throw new ArgumentException($"Activation backward: output ({y.Length}) and gradient ({gy.Length}) spans are shorter than the destination ({grad.Length}).");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= grad.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var d = new Vector<T>(gy[i..]) * TDerivative.Of(new Vector<T>(y[i..]));
                (accumulate ? new Vector<T>(grad[i..]) + d : d).CopyTo(grad[i..]);
            }
        for (; i < grad.Length; i++)
        {
            T d = gy[i] * TDerivative.Of(y[i]);
            grad[i] = accumulate ? grad[i] + d : d;
        }
    }
}
