namespace Autograd.Nn;

/// <summary>
/// Integer-valued module state, held exactly: PyTorch's int64 buffers such as BatchNorm's <c>num_batches_tracked</c>
/// (a rank-0 counter). It is not a tensor of the module's element type because a float32 counter stops counting at
/// 2²⁴. Saved as the safetensors dtype I64 under the name it is registered with.
/// </summary>
public sealed class Int64Buffer
{
    private readonly long[] _values;

    /// <summary>A zero-filled buffer of <paramref name="shape"/>; no dimensions gives a rank-0 counter.</summary>
    public Int64Buffer(params ReadOnlySpan<int> shape)
    {
        Shape = new Shape(shape);
        _values = new long[Shape.Length];
    }

    /// <summary>The dimensions (rank 0 for a counter, as PyTorch stores <c>num_batches_tracked</c>).</summary>
    public Shape Shape { get; }

    /// <summary>The values, in row-major order.</summary>
    public Span<long> AsSpan() => _values;

    /// <summary>The single value of a one-element buffer (a counter).</summary>
    public long Value
    {
        get => _values.Length == 1 ? _values[0] : throw NotSingle();
        set
        {
            if (_values.Length != 1) throw NotSingle();
            _values[0] = value;
        }
    }

    private InvalidOperationException NotSingle() =>
        new($"Int64Buffer: Value needs a one-element buffer, this one has shape {Shape} ({_values.Length} elements); use AsSpan().");
}
