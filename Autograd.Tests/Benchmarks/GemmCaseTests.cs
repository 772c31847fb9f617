using Autograd.Benchmarks.Linalg;
using Autograd.Kernels;

namespace Autograd.Tests.Benchmarks;

/// <summary>
/// The GEMM benchmark's cases are the products a Linear layer really computes, and the OpenBLAS call uses the same
/// conventions as our kernel (checked only where libopenblas is installed; CI does not need it).
/// </summary>
public class GemmCaseTests
{
    private const int Batch = 4, In = 5, Out = 3;

    private static double[] Random(int n, ulong seed)
    {
        var v = new double[n];
        new Rng(seed).FillUniform<double>(v, -1, 1);
        return v;
    }

    // The layer's three products written out with explicit loops: Y = X·Wᵀ, dX = dY·W, dW = dYᵀ·X.
    private static double[] Naive(GemmProduct product, double[] x, double[] w, double[] dy)
    {
        switch (product)
        {
            case GemmProduct.Forward:
            {
                var y = new double[Batch * Out];
                for (int b = 0; b < Batch; b++) for (int o = 0; o < Out; o++) for (int i = 0; i < In; i++) y[b * Out + o] += x[b * In + i] * w[o * In + i];
                return y;
            }
            case GemmProduct.InputGrad:
            {
                var dx = new double[Batch * In];
                for (int b = 0; b < Batch; b++) for (int i = 0; i < In; i++) for (int o = 0; o < Out; o++) dx[b * In + i] += dy[b * Out + o] * w[o * In + i];
                return dx;
            }
            default:
            {
                var dw = new double[Out * In];
                for (int o = 0; o < Out; o++) for (int i = 0; i < In; i++) for (int b = 0; b < Batch; b++) dw[o * In + i] += dy[b * Out + o] * x[b * In + i];
                return dw;
            }
        }
    }

    // What the benchmark passes as A and B for each product.
    private static (double[] A, double[] B) Operands(GemmProduct product, double[] x, double[] w, double[] dy) => product switch
    {
        GemmProduct.Forward => (x, w),
        GemmProduct.InputGrad => (dy, w),
        _ => (dy, x),
    };

    [TestCase(GemmProduct.Forward)]
    [TestCase(GemmProduct.InputGrad)]
    [TestCase(GemmProduct.WeightGrad)]
    public void CaseComputesTheLayersProduct(GemmProduct product)
    {
        var c = new GemmCase(product, Batch, In, Out);
        double[] x = Random(Batch * In, 1), w = Random(Out * In, 2), dy = Random(Batch * Out, 3);
        var (a, b) = Operands(product, x, w, dy);
        Assert.That(a.Length, Is.EqualTo(c.ALength));
        Assert.That(b.Length, Is.EqualTo(c.BLength));
        var result = new double[c.CLength];
        Gemm.Multiply<double>(c.TransA, c.TransB, c.M, c.N, c.K, a, b, result, accumulate: false);
        Assert.That(result, Is.EqualTo(Naive(product, x, w, dy)).Within(1e-12));
        Assert.That(c.Flops, Is.EqualTo(2.0 * Batch * In * Out));
    }

    [Test]
    public void NetworkShapesCoverEveryProductOfEachLayer()
    {
        var cases = GemmCase.NetworkShapes().ToArray();
        Assert.That(cases.Select(c => c.ToString()), Is.Unique);
        foreach (var group in cases.GroupBy(c => (c.Batch, c.In, c.Out)))
            Assert.That(group.Select(c => c.Product), Is.EquivalentTo(Enum.GetValues<GemmProduct>()), group.Key.ToString());
    }

    [TestCase(GemmProduct.Forward)]
    [TestCase(GemmProduct.InputGrad)]
    [TestCase(GemmProduct.WeightGrad)]
    public void OpenBlasAgreesWithOurKernel(GemmProduct product)
    {
        if (!OpenBlas.IsAvailable) Assert.Ignore("libopenblas.so.0 is not installed; the OpenBLAS comparison is optional.");
        var c = new GemmCase(product, 37, 29, 11);   // odd sizes: a wrong leading dimension cannot line up by luck
        var a = Array.ConvertAll(Random(c.ALength, 4), v => (float)v);
        var b = Array.ConvertAll(Random(c.BLength, 5), v => (float)v);
        float[] ours = new float[c.CLength], theirs = new float[c.CLength];
        Gemm.Multiply<float>(c.TransA, c.TransB, c.M, c.N, c.K, a, b, ours, accumulate: false);
        OpenBlas.SetThreads(1);
        OpenBlas.Multiply(c.TransA, c.TransB, c.M, c.N, c.K, a, b, theirs);
        Assert.That(theirs, Is.EqualTo(ours).Within(1e-4f));
    }
}
