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
    public static void AccumulateColumnSums<T>(ReadOnlySpan<T> x, Span<T> destination, int rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = destination.Length;
        for (int r = 0; r < rows; r++) InPlace.Add(destination, x.Slice(r * cols, cols));
    }

    /// <summary>grad += gy where y &gt; 0 (ReLU backward from its saved output; the subgradient at 0 is 0).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && grad.Length >= Vector<T>.Count)
        {
            // A branch per element mispredicts on ReLU's random sign pattern; a mask select does not.
            for (; i <= grad.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var active = Vector.GreaterThan(new Vector<T>(y[i..]), Vector<T>.Zero);
                var sum = new Vector<T>(grad[i..]) + Vector.ConditionalSelect(active, new Vector<T>(gy[i..]), Vector<T>.Zero);
                sum.CopyTo(grad[i..]);
            }
        }
        for (; i < grad.Length; i++)
            if (y[i] > T.Zero) grad[i] += gy[i];
    }
}
