using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd;

/// <summary>
/// The dimensions of a tensor, stored inline (no heap allocation) for ranks 0 to <see cref="MaxRank"/>.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>The largest rank a tensor may have.</summary>
    public const int MaxRank = 8;

    [InlineArray(MaxRank)]
    private struct Dims { private int _e0; }

    private readonly Dims _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Number of elements (the product of the dimensions; 1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>Creates a shape from its dimensions; every dimension must be ≥ 0.</summary>
    public Shape(params ReadOnlySpan<int> dims) : this(dims, "Shape") { }

    /// <summary>
    /// A shape an op asks for: the dimensions are validated (rank, signs, and their product in 64 bits against
    /// <see cref="Array.MaxLength"/>) with errors that name <paramref name="op"/> and the shape.
    /// </summary>
    internal static Shape Of(string op, ReadOnlySpan<int> dims) => new(dims, op);

    private Shape(ReadOnlySpan<int> dims, string op)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"{op}: shape {Format(dims)} has rank {dims.Length}, above the maximum rank {MaxRank}.");
        Rank = dims.Length;
        long length = 1;
        Span<int> own = _dims;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new ArgumentException($"{op}: dimension {i} is {dims[i]}; dimensions must be ≥ 0 (shape {Format(dims)}).");
            own[i] = dims[i];
            // Saturating, so that eight large dimensions cannot overflow a long; a later 0 still gives 0.
            length = Math.Min(length * dims[i], Array.MaxLength + 1L);
        }
        if (length > Array.MaxLength) ThrowTooManyElements(op, dims);
        Length = (int)length;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooManyElements(string op, ReadOnlySpan<int> dims)
    {
        BigInteger count = BigInteger.One;
        foreach (int d in dims) count *= d;
        throw new ArgumentException($"{op}: shape {Format(dims)} has {count} elements, more than the {Array.MaxLength} an array can hold.");
    }

    /// <summary>The shape of a scalar (rank 0).</summary>
    public static Shape Scalar => new(default(Dims), 0, 1);

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => Dimensions[NormalizeAxis(axis, "Shape")];

    /// <summary>The dimensions as a span (no copy).</summary>
    [UnscopedRef]
    public ReadOnlySpan<int> Dimensions => MemoryMarshal.CreateReadOnlySpan(in _dims[0], Rank);   // Rank ≤ MaxRank: no range check needed

    /// <summary>The dimensions as a new array.</summary>
    public int[] ToArray() => Dimensions.ToArray();

    /// <summary>Maps a possibly negative axis into [0, Rank), or throws naming <paramref name="op"/>.</summary>
    internal int NormalizeAxis(int axis, string op)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if ((uint)a >= (uint)Rank) ThrowAxisOutOfRange(axis, op);
        return a;
    }

    // Out of line, so that the message's string building does not enlarge (and zero) the frame of every caller.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadMatrix(string op, int rows, int columns) =>
        throw new ArgumentException($"{op}: [{rows}, {columns}] is not a valid shape (dimensions ≥ 0, at most {Array.MaxLength} elements; " +
                                    $"this one has {(long)rows * columns}).");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadRange(int from, int to) =>
        throw new ArgumentOutOfRangeException(nameof(from), $"Shape.Product: axes [{from}, {to}) are not a range within shape {this} (rank {Rank}); need 0 ≤ from ≤ to ≤ {Rank}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowAxisOutOfRange(int axis, string op) =>
        throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for shape {this} (rank {Rank}).");

    /// <summary>Product of dimensions [from, to), with 0 ≤ from ≤ to ≤ Rank.</summary>
    public int Product(int from, int to)
    {
        if ((uint)from > (uint)to || (uint)to > (uint)Rank) ThrowBadRange(from, to);
        int p = 1;
        var d = Dimensions;
        for (int i = from; i < to; i++) p *= d[i];
        return p;
    }

    /// <summary>This shape with dimension <paramref name="axis"/> replaced.</summary>
    public Shape With(int axis, int size) => With(axis, size, "Shape.With");

    /// <summary>As <see cref="With(int, int)"/>, with errors that name <paramref name="op"/>.</summary>
    internal Shape With(int axis, int size, string op)
    {
        // Copies the inline dimensions instead of going through the validating constructor: ops call this every step.
        if ((uint)axis >= (uint)Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for shape {this} (rank {Rank}).");
        if (size < 0)
            throw new ArgumentOutOfRangeException(nameof(size), $"{op}: dimension {axis} of {this} cannot become {size}; dimensions must be ≥ 0.");
        var dims = _dims;
        dims[axis] = size;
        long length = 1;
        for (int i = 0; i < Rank; i++) length = Math.Min(length * dims[i], Array.MaxLength + 1L);   // saturating, as in the constructor
        if (length > Array.MaxLength) ThrowTooManyElements(op, ((ReadOnlySpan<int>)dims)[..Rank]);
        return new Shape(dims, Rank, (int)length);
    }

    /// <summary>[rows, columns] without the general constructor's span walk, with errors that name <paramref name="op"/>.</summary>
    internal static Shape Matrix(int rows, int columns, string op)
    {
        long length = (long)rows * columns;
        if (rows < 0 || columns < 0 || length > Array.MaxLength) ThrowBadMatrix(op, rows, columns);
        Dims dims = default;
        dims[0] = rows;
        dims[1] = columns;
        return new Shape(dims, 2, (int)length);
    }

    private Shape(Dims dims, int rank, int length)
    {
        _dims = dims;
        Rank = rank;
        Length = length;
    }

    /// <summary>This shape without dimension <paramref name="axis"/> (negative axes count from the end).</summary>
    public Shape Without(int axis)
    {
        int a = NormalizeAxis(axis, "Shape.Without");
        Span<int> d = stackalloc int[MaxRank];
        for (int i = 0, j = 0; i < Rank; i++) if (i != a) d[j++] = Dimensions[i];
        // Validated again: with a zero-size axis dropped, the remaining dimensions may be too many elements.
        return new Shape(d[..(Rank - 1)], "Shape.Without");
    }

    public bool Equals(Shape other) => Dimensions.SequenceEqual(other.Dimensions);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dimensions) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as <c>[2, 3]</c>.</summary>
    public override string ToString() => Format(Dimensions);

    private static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <summary>The shape with these dimensions (<c>Shape s = new[] { 2, 3 };</c>).</summary>
    public static implicit operator Shape(int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        return new(dims);
    }
}
