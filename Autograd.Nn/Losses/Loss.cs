namespace Autograd.Nn;

/// <summary>
/// A loss as an object, so a training loop can take any loss and call it with a batch's targets, given either as
/// class labels or as a target tensor of the output's shape. <see cref="Reduction"/> picks mean, sum or per-element.
/// </summary>
public abstract class Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the loss with its reduction.</summary>
    protected Loss(Reduction reduction)
    {
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), $"{Name}: unknown reduction {(int)reduction}; use Mean, Sum or None.");
        Reduction = reduction;
    }

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="output"/> [N, …] against integer class <paramref name="labels"/> (one per row).</summary>
    public abstract Tensor<T> Forward(Tensor<T> output, int[] labels);

    /// <summary>The loss of <paramref name="output"/> against <paramref name="target"/>, a tensor of the same shape.</summary>
    public abstract Tensor<T> Forward(Tensor<T> output, Tensor<T> target);

    /// <summary>The name used in error messages.</summary>
    protected string Name => GetType().Name.Split('`')[0];

    /// <summary>
    /// The target tensor that <paramref name="labels"/> stand for, for losses that compare against values:
    /// for an output [N, C] with C &gt; 1, one-hot rows; for an output [N] or [N, 1], the labels themselves as values
    /// (binary classification, 0 or 1). The tensor is op-sized: inside a TensorScope it is rented from the thread's
    /// pool and returned at the end of the step, so steady-state steps allocate nothing.
    /// </summary>
    protected Tensor<T> TargetFromLabels(Tensor<T> output, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(labels);
        if (output.Rank is < 1 or > 2 || output.Shape[0] != labels.Length)
            throw new ArgumentException($"{Name}: labels need an output [N] or [N, C] with N = {labels.Length} labels, got {output.Shape}.");
        var target = Tensor.Empty<T>(output.Shape);
        var t = target.AsSpan();
        int classes = output.Rank == 2 ? output.Shape[1] : 1;
        if (classes == 1)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] is not (0 or 1))
                    throw new ArgumentException($"{Name}: with one output per row the labels must be 0 or 1; label {i} is {labels[i]}.");
                t[i] = T.CreateChecked(labels[i]);
            }
            return target;
        }
        t.Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"{Name}: label {i} is {labels[i]}, outside the {classes} classes of output {output.Shape}.");
            t[i * classes + labels[i]] = T.One;
        }
        return target;
    }

    /// <summary>Throws unless <paramref name="target"/> has the shape of <paramref name="output"/>.</summary>
    protected void CheckSameShape(Tensor<T> output, Tensor<T> target)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (output.Shape != target.Shape)
            throw new ArgumentException($"{Name}: target {target.Shape} must have the output's shape {output.Shape}.");
    }

    /// <summary>Applies <see cref="Reduction"/> to per-row losses.</summary>
    protected Tensor<T> Reduce(Tensor<T> perRow) => Reduction switch
    {
        Reduction.Mean => perRow.Mean(),
        Reduction.Sum => perRow.Sum(),
        _ => perRow,
    };
}
