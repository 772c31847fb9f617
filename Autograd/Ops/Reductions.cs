namespace Autograd;

public static partial class Ops
{
    /// <summary>The sum of all elements, as a rank-0 tensor.</summary>
    public static Tensor<T> Sum<T>(this Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor<T>.Uninitialized(Shape.Scalar);
        y.AsSpan()[0] = TensorPrimitives.Sum(x.AsReadOnlySpan());
        if (Tape<T>.ShouldRecord(x)) Tape<T>.Record("Sum", y, SumAllBackward, x);
        else Tape<T>.CheckForward("Sum", y);
        return y;
    }

    private static void SumAllBackward<T>(ref TapeEntry<T> e, ReadOnlySpan<T> gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape<T>.TryGrad(e.A, out var gx)) TensorPrimitives.Add(gx, gy[0], gx);
    }
}
