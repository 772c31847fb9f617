using System.Numerics;
using System.Runtime.CompilerServices;

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
    [ThreadStatic] private static TensorScope? _outermost;   // reused from step to step, like each scope's _inner
    [ThreadStatic] private static TensorScope? _current;     // the innermost open scope of this thread

    private readonly TensorScope? _outer;
    private readonly int _depth;
    private TensorScope? _inner;
    private bool _open;

    // float and double tensors in arrays of their exact (sealed) type: storing and disposing them needs no
    // covariance check and no interface call, which a List<IDisposable> costs on every op of a step.
    private Tensor<float>[] _floats = new Tensor<float>[16];
    private int _floatCount;
    private Tensor<double>[] _doubles = new Tensor<double>[16];
    private int _doubleCount;
    private readonly List<IDisposable> _others = new();

    private TensorScope(TensorScope? outer)
    {
        _outer = outer;
        _depth = outer is null ? 0 : outer._depth + 1;
    }

    /// <summary>Starts a scope on this thread (scope objects are reused, so this does not allocate in steady state).</summary>
    public static TensorScope Begin()
    {
        var outer = _current;
        var scope = outer is null ? _outermost ??= new TensorScope(null) : outer._inner ??= new TensorScope(outer);
        scope._open = true;
        return _current = scope;
    }

    internal static bool IsActive
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _current is not null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Register<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scope = _current;
        if (scope is null) return;
        if (typeof(T) == typeof(float)) scope.AddFloat(Unsafe.As<Tensor<float>>(tensor));
        else if (typeof(T) == typeof(double)) scope.AddDouble(Unsafe.As<Tensor<double>>(tensor));
        else scope._others.Add(tensor);
    }

    private void AddFloat(Tensor<float> tensor)
    {
        if (_floatCount == _floats.Length) Array.Resize(ref _floats, _floatCount * 2);
        _floats[_floatCount++] = tensor;
    }

    private void AddDouble(Tensor<double> tensor)
    {
        if (_doubleCount == _doubles.Length) Array.Resize(ref _doubles, _doubleCount * 2);
        _doubles[_doubleCount++] = tensor;
    }

    /// <summary>Takes <paramref name="tensor"/> (and the tensor it views, if any) out of this scope so it survives it; returns it.</summary>
    public Tensor<T> Keep<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Forget(tensor);
        if (tensor.Base is { } b) Forget(b);
        return tensor;
    }

    private void Forget<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) Remove(_floats, ref _floatCount, Unsafe.As<Tensor<float>>(tensor));
        else if (typeof(T) == typeof(double)) Remove(_doubles, ref _doubleCount, Unsafe.As<Tensor<double>>(tensor));
        else _others.Remove(tensor);
    }

    private static void Remove<TTensor>(TTensor[] tensors, ref int count, TTensor tensor) where TTensor : class
    {
        int i = Array.IndexOf(tensors, tensor, 0, count);
        if (i < 0) return;
        Array.Copy(tensors, i + 1, tensors, i, count - i - 1);
        tensors[--count] = null!;
    }

    /// <summary>Disposes every tensor created in the scope and not kept, returning pooled storage.</summary>
    public void Dispose()
    {
        if (!_open) return;
        if (_current != this)
            throw new InvalidOperationException($"TensorScope: scopes must end in the reverse order they began (ending depth {_depth} while {(_current is null ? "this thread has none" : $"depth {_current._depth}")} is open).");
        for (int i = 0; i < _floatCount; i++) _floats[i].Dispose();
        Array.Clear(_floats, 0, _floatCount);
        _floatCount = 0;
        for (int i = 0; i < _doubleCount; i++) _doubles[i].Dispose();
        Array.Clear(_doubles, 0, _doubleCount);
        _doubleCount = 0;
        foreach (var t in _others) t.Dispose();
        _others.Clear();
        _open = false;
        _current = _outer;
    }
}
