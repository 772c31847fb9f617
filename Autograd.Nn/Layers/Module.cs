using System.Text;

namespace Autograd.Nn;

/// <summary>
/// The base of every layer and model: owns named parameters, named buffers (non-trainable state such as running
/// statistics) and named child modules, all kept in registration order (which fixes the order of
/// <see cref="Parameters"/>), and a train/eval mode that propagates to children. Subclasses implement <see cref="Forward"/> and call their
/// children through <see cref="Call"/> so that tools such as <see cref="Summary"/> can observe them.
/// </summary>
public abstract partial class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<KeyValuePair<string, Tensor<T>>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor<T>>> _buffers = [];
    private readonly List<KeyValuePair<string, Int64Buffer>> _int64Buffers = [];
    private readonly List<KeyValuePair<string, Module<T>>> _children = [];

    /// <summary>
    /// True in training mode (the default), false after <see cref="Eval"/>. Dropout reads it, and so does a layer with
    /// buffers (batch statistics and a running-average update in training, the running averages in evaluation).
    /// </summary>
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

    /// <summary>
    /// Registers <paramref name="buffer"/> under <paramref name="name"/>: state that is saved and loaded with the module
    /// (PyTorch's register_buffer, e.g. "running_mean") but is not a parameter, so optimizers never see it and it never
    /// requires grad. The module updates it in place. Like a parameter it must be a leaf that outlives any TensorScope
    /// (create it with <see cref="NewParameter"/>).
    /// </summary>
    protected Tensor<T> RegisterBuffer(string name, Tensor<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckNewName(name);
        if (!buffer.IsLeaf || buffer.RequiresGrad)
            throw new ArgumentException($"{TypeName}: buffer '{name}' must be a leaf tensor that does not require grad (a trainable tensor is a parameter: use RegisterParameter).");
        if (buffer.IsDisposed) throw new ObjectDisposedException($"{TypeName}: buffer '{name}' is disposed.");
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers integer state (e.g. BatchNorm's "num_batches_tracked") under <paramref name="name"/>; saved as int64.</summary>
    protected Int64Buffer RegisterBuffer(string name, Int64Buffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckNewName(name);
        _int64Buffers.Add(new(name, buffer));
        return buffer;
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

    /// <summary>A zero-filled tensor with its own 64-byte-aligned storage (never pooled), suitable as a parameter or a buffer.</summary>
    protected static Tensor<T> NewParameter(params ReadOnlySpan<int> shape) => Tensor.ZerosAligned<T>(shape);

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{TypeName}: '{name}' is not a valid parameter, buffer or module name (non-empty, no '.').");
        string? user = _parameters.Exists(p => p.Key == name) ? "a parameter"
            : _buffers.Exists(b => b.Key == name) || _int64Buffers.Exists(b => b.Key == name) ? "a buffer"
            : _children.Exists(c => c.Key == name) ? "a child module" : null;
        if (user is not null) throw new ArgumentException($"{TypeName}: the name '{name}' is already used by {user}.");
    }

    /// <summary>The direct children with their names, in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Module<T>>> NamedChildren() => _children;

    /// <summary>This module's own parameters (not its children's), in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedOwnParameters() => _parameters;

    /// <summary>
    /// All parameters with PyTorch-style dotted names ("0.weight", "encoder.1.bias"): own parameters first,
    /// then each child's, depth first. A tensor shared by several modules is listed once, under its first name.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedParameters() => CollectNamed(m => m._parameters);

    /// <summary>This module's own buffers of element type T (not its children's), in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedOwnBuffers() => _buffers;

    /// <summary>
    /// All buffers of element type T with dotted names as in PyTorch's state_dict ("1.running_mean"), in the order of
    /// <see cref="NamedParameters"/>; integer buffers are listed by <see cref="NamedInt64Buffers"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor<T>>> NamedBuffers() => CollectNamed(m => m._buffers);

    /// <summary>All integer buffers with dotted names ("1.num_batches_tracked"), in the order of <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, Int64Buffer>> NamedInt64Buffers() => CollectNamed(m => m._int64Buffers);

    private List<KeyValuePair<string, TItem>> CollectNamed<TItem>(Func<Module<T>, List<KeyValuePair<string, TItem>>> own) where TItem : class
    {
        var result = new List<KeyValuePair<string, TItem>>();
        Collect("", own, result, new HashSet<TItem>(ReferenceEqualityComparer.Instance));
        return result;
    }

    private void Collect<TItem>(string prefix, Func<Module<T>, List<KeyValuePair<string, TItem>>> own,
        List<KeyValuePair<string, TItem>> into, HashSet<TItem> seen) where TItem : class
    {
        foreach (var (name, item) in own(this))
            if (seen.Add(item)) into.Add(new(prefix + name, item));
        foreach (var (name, child) in _children)
            child.Collect(prefix + name + ".", own, into, seen);
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
