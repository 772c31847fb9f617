using System.Reflection;

namespace Autograd.Tests.Core;

/// <summary>
/// What the Autograd assembly exports on purpose: tensors, tape and ops, not the kernels behind them (those are
/// internal, reached by Autograd.Nn and Autograd.Onnx through InternalsVisibleTo).
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly Core = typeof(Tensor).Assembly;

    [Test]
    public void KernelLayerIsNotPublic()
    {
        var exported = Core.GetExportedTypes();
        Assert.That(exported.Where(t => t.Namespace == "Autograd.Kernels").Select(t => t.FullName), Is.Empty);
        Assert.That(exported.Select(t => t.Name), Does.Not.Contain("AlignedStorage"));
        Assert.That(typeof(Shape).GetMethod(nameof(Shape.NormalizeAxis), BindingFlags.Public | BindingFlags.Instance), Is.Null);
        // The kernels' one public setting, and the types a user does need, stay exported.
        Assert.That(exported, Does.Contain(typeof(Parallelism)).And.Contain(typeof(Tensor<float>).GetGenericTypeDefinition()).And.Contain(typeof(Grad)));
    }
}
