using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// Row-wise kernels on row-major [rows × cols] spans: softmax, log-softmax, bias broadcast, column sums and
/// the activation masks. Shared by the ops and by the hand-derived benchmark networks, so that "tape vs hand"
/// compares bookkeeping only. No tensors, no tape, no allocation.
/// </summary>
internal static class RowKernels
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

    // The activation backward functions below are one InPlace pass: grad ← [grad +] gy ⊙ f'(y), with a = gy and b = y.
    // A mask select, not a branch, for ReLU: its sign pattern is random and a branch per element mispredicts.

    /// <summary>grad = (gy where y &gt; 0, else 0), or grad += that when <paramref name="accumulate"/>.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) InPlace.Run<T, ReluGrad<T, Add>>(grad, gy, y, T.Zero);
        else InPlace.Run<T, ReluGrad<T, Assign>>(grad, gy, y, T.Zero);
    }

    /// <summary>grad (+)= gy ⊙ y(1 − y): the sigmoid's backward from its output y.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) InPlace.Run<T, SigmoidGrad<T, Add>>(grad, gy, y, T.One);
        else InPlace.Run<T, SigmoidGrad<T, Assign>>(grad, gy, y, T.One);
    }

    /// <summary>grad (+)= gy ⊙ (1 − y²): tanh's backward from its output y.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> grad, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) InPlace.Run<T, TanhGrad<T, Add>>(grad, gy, y, T.One);
        else InPlace.Run<T, TanhGrad<T, Assign>>(grad, gy, y, T.One);
    }

    /// <summary>Whether a backward kernel adds to the gradient or overwrites it (a type, so the JIT drops the other branch).</summary>
    private interface IWriteMode { static abstract bool Accumulates { get; } }
    private readonly struct Add : IWriteMode { public static bool Accumulates => true; }
    private readonly struct Assign : IWriteMode { public static bool Accumulates => false; }

    // y = grad, a = gy, b = the activation's output, s = 0 (ReLU) or 1.
    private readonly struct ReluGrad<T, TMode> : InPlace.IUpdate<T> where T : unmanaged, IFloatingPointIeee754<T> where TMode : IWriteMode
    {
        public static Vector512<T> Apply(Vector512<T> y, Vector512<T> a, Vector512<T> b, Vector512<T> s)
        {
            var d = Vector512.ConditionalSelect(Vector512.GreaterThan(b, s), a, Vector512<T>.Zero);
            return TMode.Accumulates ? y + d : d;
        }
        public static Vector256<T> Apply(Vector256<T> y, Vector256<T> a, Vector256<T> b, Vector256<T> s)
        {
            var d = Vector256.ConditionalSelect(Vector256.GreaterThan(b, s), a, Vector256<T>.Zero);
            return TMode.Accumulates ? y + d : d;
        }
        public static T Apply(T y, T a, T b, T s)
        {
            T d = b > s ? a : T.Zero;
            return TMode.Accumulates ? y + d : d;
        }
    }

    private readonly struct SigmoidGrad<T, TMode> : InPlace.IUpdate<T> where T : unmanaged, IFloatingPointIeee754<T> where TMode : IWriteMode
    {
        public static Vector512<T> Apply(Vector512<T> y, Vector512<T> a, Vector512<T> b, Vector512<T> s) => TMode.Accumulates ? y + a * b * (s - b) : a * b * (s - b);
        public static Vector256<T> Apply(Vector256<T> y, Vector256<T> a, Vector256<T> b, Vector256<T> s) => TMode.Accumulates ? y + a * b * (s - b) : a * b * (s - b);
        public static T Apply(T y, T a, T b, T s) => TMode.Accumulates ? y + a * b * (s - b) : a * b * (s - b);
    }

    private readonly struct TanhGrad<T, TMode> : InPlace.IUpdate<T> where T : unmanaged, IFloatingPointIeee754<T> where TMode : IWriteMode
    {
        public static Vector512<T> Apply(Vector512<T> y, Vector512<T> a, Vector512<T> b, Vector512<T> s) => TMode.Accumulates ? y + a * (s - b * b) : a * (s - b * b);
        public static Vector256<T> Apply(Vector256<T> y, Vector256<T> a, Vector256<T> b, Vector256<T> s) => TMode.Accumulates ? y + a * (s - b * b) : a * (s - b * b);
        public static T Apply(T y, T a, T b, T s) => TMode.Accumulates ? y + a * (s - b * b) : a * (s - b * b);
    }
}
