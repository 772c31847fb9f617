using Autograd.Benchmarks.Networks;

namespace Autograd.Benchmarks.Linalg;

/// <summary>Which product of a fully connected layer a GEMM case is.</summary>
public enum GemmProduct
{
    /// <summary>Forward: Y[B, out] = X[B, in]·Wᵀ (W stored [out, in]).</summary>
    Forward,
    /// <summary>Input gradient: dX[B, in] = dY[B, out]·W.</summary>
    InputGrad,
    /// <summary>Weight gradient: dW[out, in] = dYᵀ·X.</summary>
    WeightGrad,
}

/// <summary>
/// One GEMM C[m×n] = op(A)·op(B) with op(A) of k columns, as <see cref="Autograd.Kernels.Gemm.Multiply{T}"/> takes it.
/// Built from a layer (in → out) and a batch size, so the shapes are exactly those of the benchmark networks.
/// </summary>
public sealed record GemmCase(GemmProduct Product, int Batch, int In, int Out) : IFlopCount
{
    public bool TransA => Product == GemmProduct.WeightGrad;
    public bool TransB => Product == GemmProduct.Forward;
    public int M => Product switch { GemmProduct.WeightGrad => Out, _ => Batch };
    public int N => Product switch { GemmProduct.Forward => Out, _ => In };
    public int K => Product switch { GemmProduct.Forward => In, GemmProduct.InputGrad => Out, _ => Batch };
    public int ALength => M * K;
    public int BLength => K * N;
    public int CLength => M * N;
    /// <summary>Multiply-adds count twice: 2·m·n·k floating-point operations.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>How the table shows it, e.g. "X.Wt  B64 784->196" for X[64, 784]·Wᵀ with W [196, 784] (ASCII, so any console prints it).</summary>
    public override string ToString() => Product switch
    {
        GemmProduct.Forward => $"X.Wt  B{Batch} {In}->{Out}",
        GemmProduct.InputGrad => $"dY.W  B{Batch} {In}->{Out}",
        _ => $"dYt.X B{Batch} {In}->{Out}",
    };

    /// <summary>
    /// The three products of the first layers of mlp1 (784→10), mlp2 (784→196) and deep (784→500) and of deep's second
    /// (500→200), at batch 1, 64 and 1000 (the first layer dominates every network's step). Batch 1 only for 784→196:
    /// there a GEMM is a matrix-vector product and the other layers say nothing new.
    /// </summary>
    public static IEnumerable<GemmCase> NetworkShapes()
    {
        var layers = new (int In, int Out, int[] Batches)[]
        {
            (NetworkSpec.Mlp1.Sizes[0], NetworkSpec.Mlp1.Sizes[1], [64, 1000]),
            (NetworkSpec.Mlp2.Sizes[0], NetworkSpec.Mlp2.Sizes[1], [1, 64, 1000]),
            (NetworkSpec.Deep.Sizes[0], NetworkSpec.Deep.Sizes[1], [64, 1000]),
            (NetworkSpec.Deep.Sizes[1], NetworkSpec.Deep.Sizes[2], [1000]),
        };
        foreach (var (inF, outF, batches) in layers)
            foreach (int b in batches)
                foreach (var product in Enum.GetValues<GemmProduct>())
                    yield return new GemmCase(product, b, inF, outF);
    }
}
