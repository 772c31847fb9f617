using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Autograd.Kernels;

namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// The affine map of a fully connected layer, y = x·Wᵀ + b, fused in one op: x is [..., in], weight is
    /// [out, in] (PyTorch's layout, so saved weights load there unchanged), bias is [out] or null.
    /// </summary>
    public static Tensor<T> Linear<T>(this Tensor<T> x, Tensor<T> weight, Tensor<T>? bias = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(weight);
        // Shapes read once: each Shape property read copies the struct (inline dimensions), and this runs every step.
        var xs = x.Shape; var ws = weight.Shape;
        if (ws.Rank != 2 || xs.Rank < 1 || xs.Dimensions[xs.Rank - 1] != ws.Dimensions[1] ||
            (bias is not null && (bias.Rank != 1 || bias.Length != ws.Dimensions[0])))
            ThrowLinearShapes(xs, ws, bias?.Shape);

        int inF = ws.Dimensions[1], outF = ws.Dimensions[0], rows = xs.Product(0, xs.Rank - 1);
        var y = Tensor<T>.Uninitialized(xs.Rank == 2 ? Shape.Matrix(rows, outF, "Linear") : xs.With(xs.Rank - 1, outF, "Linear"));
        var ys = y.AsSpan();
        if (bias is not null)
        {
            var b = bias.AsReadOnlySpan();
            for (int r = 0; r < rows; r++) b.CopyTo(ys.Slice(r * outF, outF));
        }
        Gemm.Multiply(false, true, rows, outF, inF, x.AsReadOnlySpan(), weight.AsReadOnlySpan(), ys, accumulate: bias is not null);
        if (Tape<T>.ShouldRecord(x, weight, bias)) Tape<T>.Record("Linear", y, LinearBackward, x, weight, bias);
        else Tape<T>.CheckForward("Linear", y);
        return y;
    }

    // Out of line: the messages' string building, inlined, gave Linear a 680-byte frame zeroed on every call.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLinearShapes(Shape xs, Shape ws, Shape? bias)
    {
        string shapes = $"(input {xs}, weight {ws}, bias {(bias is { } b ? b.ToString() : "none")})";
        if (ws.Rank != 2)
            throw new ArgumentException($"Linear: weight must be 2-D [out, in], got {ws} {shapes}.");
        if (xs.Rank < 1 || xs[-1] != ws[1])
            throw new ArgumentException($"Linear: input {xs} does not end in the weight's in-features {ws[1]} {shapes}.");
        throw new ArgumentException($"Linear: bias must be [{ws[0]}] for weight {ws}, got {bias} {shapes}.");
    }

    private static void LinearBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = e.A!; var w = e.B!;
        int inF = w.Shape[1], outF = w.Shape[0], rows = x.Shape.Product(0, x.Rank - 1);
        // dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy; each written directly when its buffer is fresh.
        if (Tape<T>.TryGrad(x, out var gx, out bool fresh)) Gemm.Multiply(false, false, rows, inF, outF, gy, w.AsReadOnlySpan(), gx, accumulate: !fresh);
        if (Tape<T>.TryGrad(w, out var gw, out fresh)) Gemm.Multiply(true, false, outF, inF, rows, gy, x.AsReadOnlySpan(), gw, accumulate: !fresh);
        if (Tape<T>.TryGrad(e.C, out var gb, out fresh)) RowKernels.ColumnSums(gy, gb, rows, accumulate: !fresh);
    }
}
