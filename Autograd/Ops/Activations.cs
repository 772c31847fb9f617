namespace Autograd;

public static partial class Ops
{
    /// <summary>max(x, 0).</summary>
    public static Tensor<T> Relu<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(x.Shape);
        TensorPrimitives.Max(x.AsReadOnlySpan(), T.Zero, y.AsSpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Relu", y, ReluBackward, x).Saved = y;
        else Tape<T>.CheckForward("Relu", y);
        return y;
    }

    private static void ReluBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Tape<T>.TryGrad(e.A, out var gx)) return;
        Kernels.RowKernels.ReluBackward(e.Saved!.AsReadOnlySpan(), gy, gx);
    }
}
