namespace Autograd.Benchmarks.Networks;

/// <summary>Hidden-layer activation of a benchmark MLP.</summary>
public enum HiddenActivation { Relu, Sigmoid }

/// <summary>Output layer and loss of a benchmark MLP.</summary>
public enum OutputLoss
{
    /// <summary>Logits into softmax cross-entropy, mean over the batch.</summary>
    SoftmaxCrossEntropy,
    /// <summary>Lab L2: sigmoid outputs and the quadratic cost ½‖a − y‖², mean over the batch.</summary>
    SigmoidQuadratic,
}

/// <summary>An MLP shape shared by the tape and hand-derived implementations, so both start from identical weights.</summary>
public sealed record NetworkSpec(string Name, int[] Sizes, HiddenActivation Hidden, OutputLoss Loss)
{
    public static readonly NetworkSpec Mlp1 = new("mlp1", [784, 10], HiddenActivation.Relu, OutputLoss.SoftmaxCrossEntropy);
    public static readonly NetworkSpec Mlp2 = new("mlp2", [784, 196, 10], HiddenActivation.Relu, OutputLoss.SoftmaxCrossEntropy);
    public static readonly NetworkSpec Deep = new("deep", [784, 500, 200, 100, 30, 30, 30, 10], HiddenActivation.Relu, OutputLoss.SoftmaxCrossEntropy);
    public static readonly NetworkSpec L2Sigmoid = new("l2sigmoid", [784, 30, 10], HiddenActivation.Sigmoid, OutputLoss.SigmoidQuadratic);

    public static readonly NetworkSpec[] All = [Mlp1, Mlp2, Deep, L2Sigmoid];

    public static NetworkSpec ByName(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"Unknown network '{name}'; known: {string.Join(", ", All.Select(s => s.Name))}.");

    public int Layers => Sizes.Length - 1;

    /// <summary>Weights [out, in] and biases [out] per layer, U(−1/√in, 1/√in) from a seeded generator.</summary>
    public (T[] Weight, T[] Bias)[] InitialParameters<T>(ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var p = new (T[], T[])[Layers];
        for (int l = 0; l < Layers; l++)
        {
            double bound = 1 / Math.Sqrt(Sizes[l]);
            var w = new T[Sizes[l + 1] * Sizes[l]]; var b = new T[Sizes[l + 1]];
            rng.FillUniform<T>(w, -bound, bound);
            rng.FillUniform<T>(b, -bound, bound);
            p[l] = (w, b);
        }
        return p;
    }

    /// <summary>A seeded synthetic batch: inputs in [0, 1) and labels in [0, classes).</summary>
    public (T[] X, int[] Labels) SyntheticBatch<T>(int batch, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var x = new T[batch * Sizes[0]];
        rng.FillUniform<T>(x, 0, 1);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(Sizes[^1]);
        return (x, labels);
    }
}
