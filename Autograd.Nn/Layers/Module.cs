using System.Text;

namespace Autograd.Nn;

/// <summary>
/// The base of every layer and model: owns named parameters and named child modules (both kept in
/// registration order, which fixes the order of <see cref="Parameters"/> and of saved files), and a
/// train/eval mode that propagates to children. Subclasses implement <see cref="Forward"/> and call their
/// children through <see cref="Call"/> so that tools such as <see cref="Summary"/> can observe them.
/// </summary>
public abstract partial class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<KeyValuePair<string, Tensor<T>>> _parameters = [];
    private readonly List<KeyValuePair<string, Module<T>>> _children = [];

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>. Dropout and the like read it.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output. Call children via <see cref="Call"/>, not their Forward, inside it.</summary>
    public abstract Tensor<T> Forward(Tensor<T> x);

    /// <summary>
    /// Runs <see cref="Forward"/> and lets an active observer (a <see cref="Summary"/> in progress) see the output.
    /// Outside a summary this costs one thread-static read.
    /// </summary>
    public Tensor<T> Call(Tensor<T> x)
    {
        var y = Forward(x);
        if (_summaryShapes is { } shapes) shapes[this] = y.Shape;
        return y;
    }

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> and marks it as requiring grad.
    /// It must be a leaf that outlives any TensorScope (create it with <see cref="NewParameter"/>).
    /// </summary>
    protected Tensor<T> RegisterParameter(string name, Tensor<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckNewName(name);
        if (!parameter.IsLeaf)
            throw new ArgumentException($"{TypeName}: parameter '{name}' must be a leaf tensor (use Detach() or create it directly).");
        parameter.RequiresGrad = true;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers <paramref name="module"/> as a child named <paramref name="name"/>; returns it.</summary>
    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : Module<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        if (ReferenceEquals(module, this))
            throw new ArgumentException($"{TypeName}: a module cannot be its own child ('{name}').");
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>A zero-filled tensor with its own 64-byte-aligned storage (never pooled), suitable as a parameter.</summary>
    protected static Tensor<T> NewParameter(params ReadOnlySpan<int> shape) => Tensor.ZerosAligned<T>(shape);

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{TypeName}: '{name}' is not a valid parameter or module name (non-empty, no '.').");
        foreach (var p in _parameters)
            if (p.Key == name) throw new ArgumentException($"{TypeName}: the name '{name}' is already used by a parameter.");
        foreach (var c in _children)
            if (c.Key == name) throw new ArgumentException($"{TypeName}: the name '{name}' is already used by a child module.");
    }

    /// <summary>The direct children with their names, in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Module<T>>> NamedChildren() => _children;

    /// <summary>This module's own parameters (not its children's), in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedOwnParameters() => _parameters;

    /// <summary>
    /// All parameters with PyTorch-style dotted names ("0.weight", "encoder.1.bias"): own parameters first,
    /// then each child's, depth first. A tensor shared by several modules is listed once, under its first name.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedParameters()
    {
        var result = new List<KeyValuePair<string, Tensor<T>>>();
        CollectParameters("", result, new HashSet<Tensor<T>>(ReferenceEqualityComparer.Instance));
        return result;
    }

    private void CollectParameters(string prefix, List<KeyValuePair<string, Tensor<T>>> into, HashSet<Tensor<T>> seen)
    {
        foreach (var (name, p) in _parameters)
            if (seen.Add(p)) into.Add(new(prefix + name, p));
        foreach (var (name, child) in _children)
            child.CollectParameters(prefix + name + ".", into, seen);
    }

    /// <summary>All parameters (see <see cref="NamedParameters"/> for the order).</summary>
    public IReadOnlyList<Tensor<T>> Parameters()
    {
        var named = NamedParameters();
        var result = new Tensor<T>[named.Count];
        for (int i = 0; i < result.Length; i++) result[i] = named[i].Value;
        return result;
    }

    /// <summary>The total number of parameter elements.</summary>
    public long ParameterCount
    {
        get
        {
            long n = 0;
            foreach (var p in NamedParameters()) n += p.Value.Length;
            return n;
        }
    }

    /// <summary>Zeroes every parameter's gradient in place (the buffers are kept, nothing is allocated).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters) p.ZeroGrad();
        foreach (var (_, c) in _children) c.ZeroGrad();
    }

    /// <summary>Sets training mode on this module and all its descendants; returns this module.</summary>
    public Module<T> Train(bool mode = true)
    {
        IsTraining = mode;
        foreach (var (_, c) in _children) c.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (same as Train(false)); returns this module.</summary>
    public Module<T> Eval() => Train(false);

    /// <summary>The type name without generic arity, e.g. "Linear".</summary>
    public string TypeName
    {
        get
        {
            var name = GetType().Name;
            int tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }

    /// <summary>The settings shown in <see cref="ToString"/>, e.g. "in=2, out=8, bias=true".</summary>
    protected virtual string ExtraDescription => "";

    /// <summary>A PyTorch-like description: the type, its settings and, indented, its children.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Describe(sb, 0);
        return sb.ToString();
    }

    private void Describe(StringBuilder sb, int indent)
    {
        sb.Append(TypeName).Append('(').Append(ExtraDescription);
        if (_children.Count == 0) { sb.Append(')'); return; }
        sb.AppendLine();
        foreach (var (name, child) in _children)
        {
            sb.Append(' ', 2 * (indent + 1)).Append('(').Append(name).Append("): ");
            child.Describe(sb, indent + 1);
            sb.AppendLine();
        }
        sb.Append(' ', 2 * indent).Append(')');
    }
}
