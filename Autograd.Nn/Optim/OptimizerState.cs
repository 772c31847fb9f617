namespace Autograd.Nn;

/// <summary>
/// The names of one parameter's optimizer state under PyTorch's state_dict keys: arrays shaped like the parameter
/// ("momentum_buffer", "exp_avg") and counters ("step"). A checkpoint holds all of them or, before the parameter's
/// first update, none.
/// </summary>
internal sealed record StateNames(string[] Arrays, string[] Counters)
{
    public static readonly StateNames None = new([], []);
}

/// <summary>One parameter's optimizer state as a checkpoint holds it (see <see cref="StateNames"/>).</summary>
internal sealed class ParameterState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Dictionary<string, T[]> Arrays { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);
}
