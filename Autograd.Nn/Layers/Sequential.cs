using System.Collections;
using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// Modules applied one after the other. Children are named "0", "1", … so parameter names match PyTorch's
/// nn.Sequential ("0.weight", "2.bias"). Supports collection initializers: <c>new Sequential&lt;float&gt; { a, b }</c>.
/// </summary>
public sealed class Sequential<T> : Module<T>, IEnumerable<Module<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Module<T>> _layers = [];

    /// <summary>Creates the container with the given modules, in order.</summary>
    public Sequential(params Module<T>[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends <paramref name="module"/> (named by its position); returns this container.</summary>
    public Sequential<T> Add(Module<T> module)
    {
        RegisterModule(_layers.Count.ToString(CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    /// <summary>Number of modules.</summary>
    public int Count => _layers.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module<T> this[int index] => _layers[index];

    /// <inheritdoc/>
    public override Tensor<T> Forward(Tensor<T> x)
    {
        for (int i = 0; i < _layers.Count; i++) x = _layers[i].Call(x);
        return x;
    }

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module<T>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
