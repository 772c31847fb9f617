namespace Autograd.Nn;

/// <summary>
/// What learning-rate schedulers and training loops need from any optimizer, independent of the element type:
/// the parameter groups (each with its learning rate), Step and ZeroGrad.
/// </summary>
public abstract class Optimizer
{
    private OptimizerGroup[] _groups = [];

    private protected Optimizer() { }

    /// <summary>The parameter groups, in the order given (one group when the optimizer was given a plain parameter list).</summary>
    public IReadOnlyList<OptimizerGroup> Groups => _groups;

    /// <summary>
    /// The learning rate of every group. Setting it sets every group's rate; reading it needs the groups to agree
    /// (read <see cref="OptimizerGroup.LearningRate"/> of <see cref="Groups"/> otherwise).
    /// </summary>
    public double LearningRate
    {
        get
        {
            double rate = _groups[0].LearningRate;
            foreach (var g in _groups)
                if (g.LearningRate != rate)
                    throw new InvalidOperationException($"{TypeName}: the {_groups.Length} parameter groups have different learning rates " +
                        $"({string.Join(", ", _groups.Select(x => x.LearningRate))}); read Groups[i].LearningRate.");
            return rate;
        }
        set
        {
            // Validate once, before changing anything, so a bad value leaves every group as it was.
            _groups[0].LearningRate = value;
            foreach (var g in _groups) g.LearningRate = value;
        }
    }

    /// <summary>The type name without generic arity ("Sgd", "AdamW"), as error messages and checkpoints name it.</summary>
    public string TypeName => GetType().Name.Split('`')[0];

    /// <summary>Updates every parameter that has a gradient, in place.</summary>
    public abstract void Step();

    /// <summary>Zeroes every parameter's gradient in place.</summary>
    public abstract void ZeroGrad();

    private protected void AdoptGroups(OptimizerGroup[] groups) => _groups = groups;

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    protected internal static void CheckNonNegative(double value, string name, string op)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, $"{op}: {name} must be finite and ≥ 0, got {value}.");
    }
}

/// <summary>
/// The base of optimizers over tensors of <typeparamref name="T"/>: holds the parameters (group after group), allocates
/// per-parameter state once (in the constructor) and two scratch buffers, so that <see cref="Step"/> allocates nothing.
/// Updates bypass the tape: they write into the parameters' storage directly.
/// </summary>
public abstract class Optimizer<T> : Optimizer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _parameters;
    private readonly int[] _groupOfParameter;
    private readonly T[] _scratch1, _scratch2;

    // Optimizer<T> is the base a custom optimizer derives from, and through it Optimizer's protected CheckNonNegative
    // is meant to be reachable (RS0022 flags exactly that); the non-generic Optimizer itself stays closed to subclassing.
#pragma warning disable RS0022
    /// <summary>Takes the parameters to optimize (distinct leaf tensors) as one group with <paramref name="learningRate"/>.</summary>
    protected Optimizer(IEnumerable<Tensor<T>> parameters, double learningRate)
        : this([new ParamGroup<T>(parameters)], (spec, group, op) =>
        {
            CheckNonNegative(learningRate, "lr", $"{op} group {group}");
            return new OptimizerGroup(learningRate, 0);
        }) { }

    /// <summary>
    /// Takes parameter groups; <paramref name="resolve"/> turns each (given its index and the optimizer's type name, for
    /// messages) into the group's settings, filling in the optimizer's defaults and checking the values.
    /// </summary>
    protected Optimizer(IEnumerable<ParamGroup<T>> groups, Func<ParamGroup<T>, int, string, OptimizerGroup> resolve)
#pragma warning restore RS0022
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(resolve);
        var specs = groups.ToArray();
        var parameters = new List<Tensor<T>>();
        var groupOf = new List<int>();
        var resolved = new OptimizerGroup[specs.Length];
        var seen = new Dictionary<Tensor<T>, int>(ReferenceEqualityComparer.Instance);
        int longest = 0;
        for (int g = 0; g < specs.Length; g++)
        {
            var spec = specs[g] ?? throw new ArgumentException($"{TypeName}: parameter group {g} is null.");
            if (spec.Parameters.Count == 0 && specs.Length > 1)
                throw new ArgumentException($"{TypeName}: parameter group {g} has no parameters.");
            for (int i = 0; i < spec.Parameters.Count; i++)
            {
                int index = parameters.Count;
                var p = spec.Parameters[i] ?? throw new ArgumentException($"{TypeName}: parameter {index} is null.");
                if (!p.IsLeaf)
                    throw new ArgumentException($"{TypeName}: parameter {index} ({p.Shape}) is not a leaf tensor; only leaves can be optimized.");
                if (!seen.TryAdd(p, g))
                    throw new ArgumentException(seen[p] == g
                        ? $"{TypeName}: parameter {index} ({p.Shape}) appears more than once; it would be updated twice per step."
                        : $"{TypeName}: parameter {index} ({p.Shape}) appears in groups {seen[p]} and {g}; a parameter belongs to one group.");
                parameters.Add(p);
                groupOf.Add(g);
                longest = Math.Max(longest, p.Length);
            }
            var group = resolve(spec, g, TypeName) ?? throw new InvalidOperationException($"{TypeName}: resolving group {g} gave null.");
            group.Adopt(TypeName, g, parameters.Count - spec.Parameters.Count, spec.Parameters.Count);
            resolved[g] = group;
        }
        if (parameters.Count == 0)
            throw new ArgumentException($"{TypeName}: got an empty parameter list.");
        _parameters = parameters.ToArray();
        _groupOfParameter = groupOf.ToArray();
        AdoptGroups(resolved);
        _scratch1 = new T[longest];
        _scratch2 = new T[longest];
    }

    /// <summary>The parameters, group after group, each group's in the order given.</summary>
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

    /// <summary>Updates parameter <paramref name="index"/> in place from its gradient, with the settings of its group (<see cref="GroupOf"/>).</summary>
    protected abstract void Update(int index, Span<T> parameter, ReadOnlySpan<T> grad);

    /// <summary>The index in <see cref="Optimizer.Groups"/> of parameter <paramref name="index"/>'s group.</summary>
    protected int GroupOf(int index) => _groupOfParameter[index];

    /// <inheritdoc/>
    public override void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    // Checkpoints (see Checkpoint): which state each parameter has, and copying it out and in. Internal because the
    // layout is part of the checkpoint format; an optimizer defined outside the library cannot be checkpointed.

    /// <summary>The names of parameter <paramref name="index"/>'s state once it has been updated.</summary>
    internal virtual StateNames StateNamesOf(int index) => throw NotCheckpointable();

    /// <summary>Parameter <paramref name="index"/>'s state (views of the live buffers), or null before its first update.</summary>
    internal virtual ParameterState<T>? SaveState(int index) => throw NotCheckpointable();

    /// <summary>Replaces parameter <paramref name="index"/>'s state (null: as before its first update); names and lengths are checked.</summary>
    internal virtual void LoadState(int index, ParameterState<T>? state) => throw NotCheckpointable();

    private NotSupportedException NotCheckpointable() =>
        new($"{TypeName}: this optimizer's state cannot be checkpointed (only the library's optimizers define their checkpoint layout).");

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

    /// <summary>Throws naming the optimizer and group when a group sets an option the optimizer has no use for.</summary>
    private protected static void RejectOption(bool given, string option, string op, int group)
    {
        if (given) throw new ArgumentException($"{op}: parameter group {group} sets {option}, which {op} does not use.");
    }
}
