using System.Numerics.Tensors;

namespace Autograd.Tests.Core;

/// <summary><see cref="TensorScope"/>: what is disposed when, Keep, nesting, and the allocation-free steady state.</summary>
public class TensorScopeTests
{
    [Test]
    public void TensorsCreatedInAScopeAreDisposedAtItsEnd()
    {
        var a = Tensor.Ones<double>(2, 2);   // created outside: never owned by the scope
        Tensor<double> inside, sum;
        using (TensorScope.Begin())
        {
            inside = Tensor.Zeros<double>(3);
            sum = a + a;
            Assert.That(sum.IsDisposed, Is.False);
        }
        Assert.That(inside.IsDisposed && sum.IsDisposed, Is.True);
        Assert.That(a.IsDisposed, Is.False);
        Assert.That(a.ToArray(), Is.All.EqualTo(1.0));
        var ex = Assert.Throws<ObjectDisposedException>(() => sum.AsSpan());
        Assert.That(ex!.Message, Does.Contain("TensorScope").And.Contain("Keep").And.Contain("[2, 2]"));
        Assert.Throws<ObjectDisposedException>(() => sum.ToArray());
        Assert.Throws<ObjectDisposedException>(() => _ = sum[0, 0]);
        Assert.That(sum.ToString(), Does.Contain("disposed"));
    }

    [Test]
    public void CallerOwnedArraysAreNeverDisposedByAScope()
    {
        var values = new double[4];
        Tensor<double> wrapped;
        using (TensorScope.Begin()) wrapped = new Tensor<double>(values, new Shape(4));
        Assert.That(wrapped.IsDisposed, Is.False);
        wrapped[2] = 5;
        Assert.That(values[2], Is.EqualTo(5), "the tensor still wraps the caller's array");
    }

    // The one lifetime rule: a tensor any factory makes inside a scope belongs to the scope, as an op result does.
    private static IEnumerable<TestCaseData> Factories()
    {
        var rng = new Rng(seed: 3);
        var source = Tensor.FromArray([1.0, 2, 3]);
        (string Name, Func<Tensor<double>> Make)[] all =
        [
            ("Empty", () => Tensor.Empty<double>(new Shape(2, 3))),
            ("Zeros", () => Tensor.Zeros<double>(2, 3)),
            ("Ones", () => Tensor.Ones<double>(2, 3)),
            ("ZerosLike", () => Tensor.ZerosLike(source)),
            ("Full", () => Tensor.Full(new Shape(2), 7.0)),
            ("Scalar", () => Tensor.Scalar(7.0)),
            ("FromArray 1-D", () => Tensor.FromArray([1.0, 2])),
            ("FromArray shaped", () => Tensor.FromArray([1.0, 2], 2, 1)),
            ("FromArray 2-D array", () => Tensor.FromArray(new[,] { { 1.0, 2 }, { 3, 4 } })),
            ("Arange", () => Tensor.Arange<double>(0, 5)),
            ("Uniform", () => Tensor.Uniform<double>(new Shape(4), -1, 1, rng)),
            ("Normal", () => Tensor.Normal<double>(new Shape(4), 0, 1, rng)),
            ("Convert", () => Tensor.Convert<float, double>(Tensor.FromArray([1f, 2f]))),
            ("FromTensorSpan", () => Tensor.FromTensorSpan(new System.Numerics.Tensors.ReadOnlyTensorSpan<double>([1.0, 2, 3, 4], [2, 2]))),
            ("FromSystemTensor", () => Tensor.FromSystemTensor(System.Numerics.Tensors.Tensor.Create([1.0, 2], [2]))),
            ("Clone", () => source.Clone()),
        ];
        return all.Select(f => new TestCaseData(f.Make).SetName($"Factory {f.Name} belongs to the scope it is made in"));
    }

    [TestCaseSource(nameof(Factories))]
    public void AFactoryTensorMadeInAScopeEndsWithItUnlessKept(Func<Tensor<double>> make)
    {
        var outside = make();
        Tensor<double> dropped, kept;
        using (var scope = TensorScope.Begin())
        {
            dropped = make();
            kept = scope.Keep(make());
        }
        Assert.That(dropped.IsDisposed, Is.True, "made in the scope and not kept");
        Assert.Throws<ObjectDisposedException>(() => dropped.ToArray());
        Assert.That(kept.IsDisposed, Is.False, "kept");
        Assert.That(outside.IsDisposed, Is.False, "made outside any scope");
        // The kept tensor's storage is its own now: a later scope renting the same sizes cannot overwrite it.
        var values = kept.ToArray();
        using (TensorScope.Begin()) { make().AsSpan().Fill(-9); make().AsSpan().Fill(-9); }
        Assert.That(kept.ToArray(), Is.EqualTo(values));
    }

    [Test]
    public void AKeptFactoryLeafKeepsRequiresGradAndItsGradient()
    {
        Tensor<double> w;
        using (var scope = TensorScope.Begin()) w = scope.Keep(Tensor.Zeros<double>([3], requiresGrad: true));
        Assert.That(w.RequiresGrad, Is.True);
        (w * w + w).Sum().Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 1.0, 1, 1 }));
    }

    [Test]
    public void KeptTensorOutlivesTheScope()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2 });
        Tensor<double> kept, dropped;
        using (var scope = TensorScope.Begin())
        {
            kept = scope.Keep(a * a);
            dropped = a + a;
        }
        Assert.That(kept.ToArray(), Is.EqualTo(new[] { 1.0, 4 }));
        Assert.That(dropped.IsDisposed, Is.True);
        using (TensorScope.Begin())
        {
            var reused = a + a + a;   // rents buffers the first scope returned: the kept one must not be among them
            Assert.That(reused.ToArray(), Is.EqualTo(new[] { 3.0, 6 }));
        }
        Assert.That(kept.ToArray(), Is.EqualTo(new[] { 1.0, 4 }));
    }

    [Test]
    public void ViewsOfKeptTensorsWork()
    {
        var a = Tensor.Arange<double>(0, 6);
        Tensor<double> keptView, keptBase, detachedInside;
        using (var scope = TensorScope.Begin())
        {
            var y = a + a;
            keptView = scope.Keep(y.View(new Shape(2, 3)));   // keeping a view keeps the storage it views
            keptBase = scope.Keep(a * a);
            detachedInside = keptBase.Detach();                // a view registered in the scope: it ends with it
        }
        Assert.That(keptView[1, 2], Is.EqualTo(10.0));
        Assert.That(detachedInside.IsDisposed, Is.True);
        Assert.That(keptBase.IsDisposed, Is.False, "disposing a view never releases its base");
        var later = keptBase.Detach();
        Assert.That(later.ToArray(), Is.EqualTo(new[] { 0.0, 1, 4, 9, 16, 25 }));
        Assert.That(keptBase.ViewRows(4, 2).ToArray(), Is.EqualTo(new[] { 16.0, 25 }));
    }

    [Test]
    public void NestedScopesEndInnermostFirst()
    {
        var a = Tensor.Ones<double>(2);
        using (TensorScope.Begin())
        {
            var outer = a + a;
            Tensor<double> inner, keptInner;
            using (var innerScope = TensorScope.Begin())
            {
                inner = outer + a;
                keptInner = innerScope.Keep(outer * outer);
            }
            Assert.That(inner.IsDisposed, Is.True);
            Assert.That(outer.IsDisposed, Is.False, "the outer scope's tensors survive the inner scope");
            Assert.That(keptInner.ToArray(), Is.EqualTo(new[] { 4.0, 4 }));
            Assert.That((outer + keptInner).ToArray(), Is.EqualTo(new[] { 6.0, 6 }));
        }
    }

    [Test]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() => outer.Dispose());
            Assert.That(ex!.Message, Does.Contain("reverse order"));
        }
        finally
        {
            inner.Dispose();
            outer.Dispose();
        }
    }

    [Test]
    public void BackwardInsideAScopeTrainsTheParameters()
    {
        var w = Tensor.FromArray(new[] { 1.0, -2 });
        w.RequiresGrad = true;
        using (TensorScope.Begin()) (w * w).Sum().Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, -4 }), "leaf gradients are not scope-owned");
        Assert.That(w.IsDisposed, Is.False);
    }

    // ---- steady-state allocation

    private sealed class TinyNet
    {
        private readonly Tensor<double> _x, _w, _b;

        public TinyNet()
        {
            var rng = new Rng(4);
            _x = Tensor.Uniform<double>(new Shape(32, 64), -1, 1, rng);
            _w = Tensor.Normal<double>(new Shape(64, 64), 0, 0.1, rng);
            _b = Tensor.Zeros<double>(64);
            _w.RequiresGrad = _b.RequiresGrad = true;
        }

        public void Step(bool scoped)
        {
            var scope = scoped ? TensorScope.Begin() : null;
            try
            {
                _x.MatMul(_w).Add(_b).Relu().Sum().Backward();
                using (Grad.NoGrad())
                {
                    TensorPrimitives.MultiplyAdd(_w.Grad!.AsReadOnlySpan(), -1e-3, _w.AsReadOnlySpan(), _w.AsSpan());
                    TensorPrimitives.MultiplyAdd(_b.Grad!.AsReadOnlySpan(), -1e-3, _b.AsReadOnlySpan(), _b.AsSpan());
                }
                _w.ZeroGrad();
                _b.ZeroGrad();
            }
            finally { scope?.Dispose(); }
        }

        public double BytesPerStep(bool scoped, int steps)
        {
            for (int i = 0; i < 10; i++) Step(scoped);   // warm-up: JIT, pools and the tape's entry array reach their size
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < steps; i++) Step(scoped);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)steps;
        }
    }

    /// <summary>
    /// A MatMul+Add+Relu+Sum+Backward step inside a scope reuses every data buffer: what remains are the Tensor objects
    /// (4 op results and 4 intermediate gradients, the loss's seed included: 8 × 104 bytes = 832 bytes measured).
    /// The step's buffers are 32×64 doubles (16 KB) each, so a step that leaked even one would exceed the 2 KB bound.
    /// </summary>
    [Test]
    public void ScopedTrainingStepAllocatesAlmostNothing()
    {
        var net = new TinyNet();
        double scoped = net.BytesPerStep(scoped: true, steps: 100);
        double unscoped = net.BytesPerStep(scoped: false, steps: 20);
        TestContext.Out.WriteLine($"bytes per step: scoped {scoped:F0}, unscoped {unscoped:F0}");
        Assert.That(scoped, Is.LessThan(2048), "scoped step");
        Assert.That(unscoped, Is.GreaterThan(3 * 16384), "without a scope every op result is a fresh 16 KB array (the check can fail)");
    }
    // A scope's next use takes back the storage of the tensor at the same position; Keep, a change of length and Trim
    // decide what is there to take.
    [Test]
    public void TheNextUseOfAScopeTakesBackTheStorageAtTheSamePosition()
    {
        TensorPool<double>.Trim();
        double[] first, kept, spare;
        Tensor<double> survivor;
        using (var scope = TensorScope.Begin())
        {
            first = Tensor.Zeros<double>(5).Storage;
            survivor = scope.Keep(Tensor.Full(new Shape(3), 2.0));
            kept = survivor.Storage;
        }
        using (TensorScope.Begin())
        {
            Assert.That(Tensor.Zeros<double>(5).Storage, Is.SameAs(first), "same position, same length");
            Assert.That(Tensor.Full(new Shape(3), 9.0).Storage, Is.Not.SameAs(kept), "a kept tensor's storage is not held for reuse");
        }
        Assert.That(survivor.ToArray(), Is.All.EqualTo(2.0));
        using (TensorScope.Begin())
            Assert.That(Tensor.Zeros<double>(6).Storage, Is.Not.SameAs(first), "another length at the position");
        Assert.That(TensorPool<double>.Rent(5, out _), Is.SameAs(first), "the spare nobody took went back to the pool");
        using (TensorScope.Begin()) spare = Tensor.Zeros<double>(7).Storage;
        TensorPool<double>.Trim();
        using (TensorScope.Begin())
            Assert.That(Tensor.Zeros<double>(7).Storage, Is.Not.SameAs(spare), "Trim dropped the scope's spares too");
        TensorPool<double>.Trim();
    }
}
