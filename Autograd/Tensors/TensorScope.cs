namespace Autograd;

/// <summary>
/// A region (typically one training step) whose tensors are disposed when it ends: op results created
/// inside it take their storage from a per-thread pool and give it back at <see cref="Dispose"/>, so a
/// steady-state step reuses the previous step's buffers instead of allocating.
/// Tensors that must outlive the scope are passed to <see cref="Keep{T}"/>. Scopes nest; they are per thread.
/// </summary>
/// <example><code>
/// using (TensorScope.Begin()) { var loss = model.Forward(x).CrossEntropy(y); loss.Backward(); opt.Step(); }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static List<TensorScope>? _stack;   // index = depth; objects reused across steps
    [ThreadStatic] private static int _depth;

    private readonly List<IDisposable> _tensors = new();
    private int _myDepth = -1;

    private TensorScope() { }

    /// <summary>Starts a scope on this thread (scope objects are reused, so this does not allocate in steady state).</summary>
    public static TensorScope Begin()
    {
        _stack ??= new List<TensorScope>();
        if (_depth == _stack.Count) _stack.Add(new TensorScope());
        var scope = _stack[_depth];
        scope._myDepth = _depth++;
        return scope;
    }

    internal static bool IsActive => _depth > 0;

    internal static void Register(IDisposable tensor)
    {
        if (_depth > 0) _stack![_depth - 1]._tensors.Add(tensor);
    }

    /// <summary>Takes <paramref name="tensor"/> (and the tensor it views, if any) out of this scope so it survives it; returns it.</summary>
    public Tensor<T> Keep<T>(Tensor<T> tensor) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        _tensors.Remove(tensor);
        if (tensor.Base is { } b) _tensors.Remove(b);
        return tensor;
    }

    /// <summary>Disposes every tensor created in the scope and not kept, returning pooled storage.</summary>
    public void Dispose()
    {
        if (_myDepth < 0) return;
        if (_myDepth != _depth - 1)
            throw new InvalidOperationException($"TensorScope: scopes must end in the reverse order they began (ending depth {_myDepth} while depth {_depth - 1} is open).");
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
        _myDepth = -1;
        _depth--;
    }
}
