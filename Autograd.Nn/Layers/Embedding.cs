using System.Buffers;
using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of size <see cref="EmbeddingDim"/> (torch.nn.Embedding):
/// weight [V, D] from N(0, 1) as PyTorch initializes it. <see cref="Lookup"/> takes integer indices;
/// <see cref="Forward"/> takes them as a tensor of whole numbers (so the layer can open a <see cref="Sequential{T}"/>),
/// [..] → [.., D]. The weight's gradient adds each output row's gradient at its index.
/// </summary>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the table (V).</summary>
    public int NumEmbeddings { get; }
    /// <summary>Size of each vector (D).</summary>
    public int EmbeddingDim { get; }
    /// <summary>The table [V, D], registered as "weight".</summary>
    public Tensor<T> Weight { get; }

    /// <summary>Creates the table, drawing it from <paramref name="rng"/> (or <see cref="Init.DefaultRng"/>).</summary>
    public Embedding(int numEmbeddings, int embeddingDim, Rng? rng = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding: sizes must be positive, got numEmbeddings={numEmbeddings}, embeddingDim={embeddingDim}.");
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        Weight = RegisterParameter("weight", Init.Normal(NewParameter(numEmbeddings, embeddingDim), 0, 1, rng ?? Init.DefaultRng));
    }

    /// <summary>The rows at <paramref name="indices"/>, shaped [..<paramref name="indexShape"/>, D] ([K, D] without a shape).</summary>
    public Tensor<T> Lookup(ReadOnlySpan<int> indices, params ReadOnlySpan<int> indexShape) => Weight.Embedding(indices, indexShape);

    /// <summary>
    /// The rows at the indices <paramref name="x"/> holds as whole numbers in [0, V): [..] → [.., D]. A value that is
    /// not a whole number in range is refused, naming it.
    /// </summary>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var values = x.AsReadOnlySpan();
        var indices = ArrayPool<int>.Shared.Rent(values.Length);
        try
        {
            for (int i = 0; i < values.Length; i++)
            {
                T v = values[i];
                if (!T.IsInteger(v) || v < T.Zero || v >= T.CreateChecked(NumEmbeddings))
                    throw new ArgumentOutOfRangeException(nameof(x),
                        $"Embedding: the input {x.Shape} holds {v} at flat position {i}; indices must be whole numbers in [0, {NumEmbeddings}).");
                indices[i] = int.CreateTruncating(v);
            }
            // A rank-0 input is one index: [D].
            return x.Rank == 0 ? Weight.Embedding(indices.AsSpan(0, 1)).Reshape(EmbeddingDim) : Weight.Embedding(indices.AsSpan(0, values.Length), x.Shape.Dimensions);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
        }
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}, {EmbeddingDim}");
}
