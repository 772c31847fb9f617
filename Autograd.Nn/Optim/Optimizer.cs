namespace Autograd.Nn;

/// <summary>
/// What learning-rate schedulers and training loops need from any optimizer, independent of the element type.
/// </summary>
public abstract class Optimizer
{
    private double _learningRate;

    /// <summary>Creates the optimizer with its starting learning rate.</summary>
    protected Optimizer(double learningRate) => LearningRate = learningRate;

    /// <summary>The step size used by the next <see cref="Step"/>; schedulers change it between epochs.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), $"{GetType().Name}: the learning rate must be finite and ≥ 0, got {value}.");
            _learningRate = value;
        }
    }

    /// <summary>Updates every parameter that has a gradient, in place.</summary>
    public abstract void Step();

    /// <summary>Zeroes every parameter's gradient in place.</summary>
    public abstract void ZeroGrad();
}

/// <summary>
/// The base of optimizers over tensors of <typeparamref name="T"/>: holds the parameter list, allocates per-parameter
/// state once (in the constructor) and two scratch buffers, so that <see cref="Step"/> allocates nothing.
/// Updates bypass the tape: they write into the parameters' storage directly.
/// </summary>
public abstract class Optimizer<T> : Optimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _parameters;
    private readonly T[] _scratch1, _scratch2;

    /// <summary>Takes the parameters to optimize (distinct leaf tensors).</summary>
    protected Optimizer(IEnumerable<Tensor<T>> parameters, double learningRate) : base(learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0)
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list.");
        var seen = new HashSet<Tensor<T>>(ReferenceEqualityComparer.Instance);
        int longest = 0;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i] ?? throw new ArgumentException($"{GetType().Name}: parameter {i} is null.");
            if (!p.IsLeaf)
                throw new ArgumentException($"{GetType().Name}: parameter {i} ({p.Shape}) is not a leaf tensor; only leaves can be optimized.");
            if (!seen.Add(p))
                throw new ArgumentException($"{GetType().Name}: parameter {i} ({p.Shape}) appears more than once; it would be updated twice per step.");
            longest = Math.Max(longest, p.Length);
        }
        _scratch1 = new T[longest];
        _scratch2 = new T[longest];
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor<T>> Parameters => _parameters;

    /// <inheritdoc/>
    public override void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is null) continue;   // never reached by a backward: left alone, like PyTorch
            Update(i, p.AsSpan(), p.Grad.AsReadOnlySpan());
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> in place from its gradient.</summary>
    protected abstract void Update(int index, Span<T> parameter, ReadOnlySpan<T> grad);

    /// <inheritdoc/>
    public override void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>A state buffer of zeros for each parameter (allocated once, at construction).</summary>
    protected T[][] NewStateBuffers()
    {
        var buffers = new T[_parameters.Length][];
        for (int i = 0; i < buffers.Length; i++) buffers[i] = new T[_parameters[i].Length];
        return buffers;
    }

    /// <summary>First scratch buffer, <paramref name="length"/> elements, contents undefined.</summary>
    protected Span<T> Scratch1(int length) => _scratch1.AsSpan(0, length);

    /// <summary>Second scratch buffer, <paramref name="length"/> elements, contents undefined.</summary>
    protected Span<T> Scratch2(int length) => _scratch2.AsSpan(0, length);

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    protected static void CheckNonNegative(double value, string name, string op)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, $"{op}: {name} must be finite and ≥ 0, got {value}.");
    }
}
