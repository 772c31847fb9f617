namespace Autograd.Tests.Core;

/// <summary>
/// Forward values of reductions, softmax and losses against independent naive references, their numerical stability,
/// the relations between the loss reductions, and the error messages on bad input. (Gradients: see the OpCases sweep.)
/// </summary>
public class LossAndReductionTests
{
    private static Tensor<double> Random(int seed, params int[] shape)
    {
        var t = Tensor.Uniform<double>(new Shape(shape), -2, 2, new Rng((ulong)seed));
        t.RequiresGrad = true;
        return t;
    }

    private static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tol, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tol + tol * Math.Abs(expected[i])), $"{what}: element {i}");
    }

    // ---- reductions against a naive multi-index loop

    // Reduces `data` of `shape` over `axes` with `combine` (keepDim layout = layout without the axes).
    private static double[] NaiveReduce(double[] data, int[] shape, int[] axes, double seed, Func<double, double, double> combine)
    {
        var outShape = shape.Where((_, i) => !axes.Contains(i)).ToArray();
        var result = Enumerable.Repeat(seed, outShape.Aggregate(1, (a, b) => a * b)).ToArray();
        var index = new int[shape.Length];
        for (int flat = 0; flat < data.Length; flat++)
        {
            for (int i = shape.Length - 1, r = flat; i >= 0; i--) { index[i] = r % shape[i]; r /= shape[i]; }
            int o = 0;
            for (int i = 0; i < shape.Length; i++) if (!axes.Contains(i)) o = o * shape[i] + index[i];
            result[o] = combine(result[o], data[flat]);
        }
        return result;
    }

    private static IEnumerable<TestCaseData> AxisCases()
    {
        yield return new TestCaseData(new[] { 3, 4 }, new[] { 0 });
        yield return new TestCaseData(new[] { 3, 4 }, new[] { 1 });
        yield return new TestCaseData(new[] { 2, 3, 4 }, new[] { 1 });
        yield return new TestCaseData(new[] { 2, 3, 4 }, new[] { 0, 2 });
        yield return new TestCaseData(new[] { 2, 1, 3, 2, 2 }, new[] { 0, 2, 4 });
        yield return new TestCaseData(new[] { 2, 3, 2, 3 }, new[] { 0, 1, 3 });
        yield return new TestCaseData(new[] { 2, 3 }, new[] { 0, 1 });
    }

    [TestCaseSource(nameof(AxisCases))]
    public void SumAndMeanOverAxesMatchNaiveLoop(int[] shape, int[] axes)
    {
        var x = Random(1, shape);
        var data = x.ToArray();
        var expectedSum = NaiveReduce(data, shape, axes, 0, (a, b) => a + b);
        int count = axes.Aggregate(1, (p, a) => p * shape[a]);
        AssertClose(x.Sum(axes).ToArray(), expectedSum, 1e-12, "Sum");
        AssertClose(x.Mean(axes).ToArray(), expectedSum.Select(v => v / count).ToArray(), 1e-12, "Mean");
        var kept = x.Sum(axes, keepDim: true);
        Assert.That(kept.Shape.ToArray(), Is.EqualTo(shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray()));
        Assert.That(x.Sum(axes).Shape.ToArray(), Is.EqualTo(shape.Where((_, i) => !axes.Contains(i)).ToArray()));
        if (axes.Length == 1)
            AssertClose(x.Max(axes[0]).ToArray(), NaiveReduce(data, shape, axes, double.NegativeInfinity, Math.Max), 0, "Max");
    }

    [Test]
    public void SumOfNegativeAxisEqualsSumOfPositiveAxis()
    {
        var x = Random(2, 2, 3, 4);
        Assert.That(x.Sum(-1).ToArray(), Is.EqualTo(x.Sum(2).ToArray()));
        Assert.That(x.Mean([-1, -3]).ToArray(), Is.EqualTo(x.Mean([0, 2]).ToArray()));
    }

    [Test]
    public void MaxGradientGoesToFirstOfTiedElements()
    {
        var row = Tensor.FromArray([1.0, 3, 3, 2]);
        row.RequiresGrad = true;
        row.Max().Backward();
        Assert.That(row.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 1, 0, 0 }));

        // Column 0 ties between rows 0 and 2, column 1 between rows 1 and 2: the strided (inner > 1) path.
        var m = Tensor.FromArray(new double[,] { { 4, 1 }, { 2, 7 }, { 4, 7 } });
        m.RequiresGrad = true;
        m.Max(0).Sum().Backward();
        Assert.That(m.Grad!.ToArray(), Is.EqualTo(new[] { 1.0, 0, 0, 1, 0, 0 }));
        Assert.That(m.ArgMax(0), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(m.ArgMax(1), Is.EqualTo(new[] { 0, 1, 1 }));
    }

    [Test]
    public void ArgMaxFindsPredictedClassPerRow()
    {
        var logits = Tensor.FromArray(new float[,] { { 0.1f, 2f, -1f }, { 5f, 4f, 3f }, { -3f, -2f, -1f } });
        Assert.That(logits.ArgMax(-1), Is.EqualTo(new[] { 1, 0, 2 }));
    }

    [Test]
    public void ReductionAxisOutOfRangeNamesOpAndShape()
    {
        var x = Random(3, 2, 3);
        foreach (var (op, call) in new (string, TestDelegate)[]
                 {
                     ("Sum", () => x.Sum(2)), ("Mean", () => x.Mean(-3)), ("Max", () => x.Max(5)),
                     ("ArgMax", () => x.ArgMax(2)), ("Sum", () => x.Sum([0, 7])), ("Mean", () => x.Mean([-4], keepDim: true)),
                 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.That(ex!.Message, Does.StartWith(op + ":").And.Contain("[2, 3]").And.Contain("out of range"));
        }
    }

    [Test]
    public void DuplicateOrEmptyAxesAreRejected()
    {
        var x = Random(4, 2, 3);
        var dup = Assert.Throws<ArgumentException>(() => x.Sum([1, -1]));
        Assert.That(dup!.Message, Does.Contain("Sum").And.Contain("more than once").And.Contain("[2, 3]"));
        var empty = Assert.Throws<ArgumentException>(() => x.Mean(Array.Empty<int>()));
        Assert.That(empty!.Message, Does.Contain("Mean").And.Contain("empty"));
    }

    [Test]
    public void MaxOverEmptyAxisIsRejected()
    {
        var x = Tensor.Zeros<double>(3, 0);
        Assert.That(() => x.Max(1), Throws.ArgumentException.With.Message.Contains("Max").And.Message.Contains("[3, 0]"));
        Assert.That(() => x.Max(), Throws.ArgumentException.With.Message.Contains("empty"));
        Assert.That(x.Sum(1).ToArray(), Is.EqualTo(new double[3]));
    }

    // ---- softmax family

    [TestCase(-1)]
    [TestCase(0)]
    [TestCase(1)]
    public void SoftmaxOfRank3MatchesNaiveFormula(int axis)
    {
        var x = Random(5, 2, 3, 4);
        var shape = new[] { 2, 3, 4 };
        int a = axis < 0 ? axis + 3 : axis;
        var data = x.ToArray();
        var max = NaiveReduce(data, shape, [a], double.NegativeInfinity, Math.Max);
        var sum = NaiveReduce(data.Select(Math.Exp).ToArray(), shape, [a], 0, (p, q) => p + q);
        var expected = new double[data.Length];
        var expectedLog = new double[data.Length];
        for (int flat = 0; flat < data.Length; flat++)
        {
            int o = ReducedIndex(flat, shape, a);
            expected[flat] = Math.Exp(data[flat]) / sum[o];
            expectedLog[flat] = data[flat] - Math.Log(sum[o]);
            Assert.That(max[o], Is.GreaterThanOrEqualTo(data[flat]));
        }
        AssertClose(x.Softmax(axis).ToArray(), expected, 1e-12, "Softmax");
        AssertClose(x.LogSoftmax(axis).ToArray(), expectedLog, 1e-12, "LogSoftmax");
    }

    // The row-major index of element `flat` in the shape with `axis` removed: the slice it belongs to.
    private static int ReducedIndex(int flat, int[] shape, int axis)
    {
        var index = new int[shape.Length];
        for (int i = shape.Length - 1, r = flat; i >= 0; i--) { index[i] = r % shape[i]; r /= shape[i]; }
        int o = 0;
        for (int i = 0; i < shape.Length; i++) if (i != axis) o = o * shape[i] + index[i];
        return o;
    }

    // Rows of magnitude 1e4 would overflow exp without the max shift (exp(1e4) = ∞ even in float64).
    private static readonly double[,] Huge =
    {
        { 1e4, 1e4 - 1, 1e4 - 3.5, -1e4 },
        { -1e4, -1e4 + 2, -1e4 + 0.25, -1e4 + 1 },
        { 1e4, -1e4, 0, 1e4 - 0.5 },
    };

    private static (double[] softmax, double[] logSoftmax) ShiftedReference(double[,] x, bool overColumns)
    {
        int rows = x.GetLength(0), cols = x.GetLength(1);
        var s = new double[x.Length]; var l = new double[x.Length];
        int slices = overColumns ? cols : rows, n = overColumns ? rows : cols;
        for (int k = 0; k < slices; k++)
        {
            double At(int j) => overColumns ? x[j, k] : x[k, j];
            int Flat(int j) => overColumns ? j * cols + k : k * cols + j;
            double m = Enumerable.Range(0, n).Max(At);
            double z = Enumerable.Range(0, n).Sum(j => Math.Exp(At(j) - m));
            for (int j = 0; j < n; j++)
            {
                l[Flat(j)] = At(j) - m - Math.Log(z);
                s[Flat(j)] = Math.Exp(At(j) - m) / z;
            }
        }
        return (s, l);
    }

    [Test]
    public void SoftmaxIsStableForHugeInputsInFloat64() => CheckHugeSoftmax<double>(1e-12);

    [Test]
    public void SoftmaxIsStableForHugeInputsInFloat32() => CheckHugeSoftmax<float>(1e-5);

    private static void CheckHugeSoftmax<T>(double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x64 = Tensor.FromArray(Huge);
        var x = Tensor.Convert<double, T>(x64);
        x.RequiresGrad = true;
        foreach (bool overColumns in new[] { false, true })
        {
            int axis = overColumns ? 0 : -1;
            var (expectedS, expectedL) = ShiftedReference(Huge, overColumns);
            var s = x.Softmax(axis); var l = x.LogSoftmax(axis);
            var sv = s.ToArray().Select(v => double.CreateChecked(v)).ToArray();
            var lv = l.ToArray().Select(v => double.CreateChecked(v)).ToArray();
            Assert.That(sv.Concat(lv).All(double.IsFinite), Is.True, $"axis {axis}: finite outputs");
            for (int i = 0; i < sv.Length; i++)
            {
                Assert.That(sv[i], Is.EqualTo(expectedS[i]).Within(tol), $"softmax axis {axis}, element {i}");
                // log-softmax values reach −2e4, where float32 has an ulp of 2e-3: compare relatively.
                Assert.That(lv[i], Is.EqualTo(expectedL[i]).Within(tol + tol * Math.Abs(expectedL[i])), $"log-softmax axis {axis}, element {i}");
            }
            l.Sum().Backward();
            var g = x.Grad!.ToArray().Select(v => double.CreateChecked(v)).ToArray();
            Assert.That(g.All(double.IsFinite), Is.True, $"axis {axis}: finite log-softmax gradient");
            x.ZeroGrad();
        }
    }

    // ---- losses

    private static readonly int[] Labels = [2, 0, 6, 3, 3];

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.Sum)]
    [TestCase(Reduction.None)]
    public void CrossEntropyEqualsLogSoftmaxThenNll(Reduction reduction)
    {
        var a = Random(6, 5, 7);
        var b = Tensor.FromArray(a.ToArray(), 5, 7);
        b.RequiresGrad = true;
        var fused = a.CrossEntropyLoss(Labels, reduction);
        var composed = b.LogSoftmax().NllLoss(Labels, reduction);
        AssertClose(fused.ToArray(), composed.ToArray(), 1e-12, "loss");
        var seed = Tensor.Uniform<double>(fused.Shape, 0.5, 1.5, new Rng(9));
        fused.Backward(seed, retainGraph: true);   // one tape per thread: keep it for the second graph
        composed.Backward(seed);
        AssertClose(a.Grad!.ToArray(), b.Grad!.ToArray(), 1e-12, "gradient");
    }

    // CrossEntropyLoss keeps its softmax rows in a buffer the tape owns: it must survive a retained graph and be
    // handed back (not reused while still needed) when the tape clears.
    [Test]
    public void CrossEntropySavedRowsSurviveARetainedGraph()
    {
        var a = Random(10, 5, 7);
        var loss = a.CrossEntropyLoss(Labels);
        loss.Backward(retainGraph: true);
        var once = a.Grad!.ToArray();
        using (Grad.NoGrad()) _ = Random(11, 5, 7).Exp().Exp();   // unrecorded ops in between use buffers of the same length
        loss.Backward();
        AssertClose(a.Grad!.ToArray(), once.Select(v => 2 * v).ToArray(), 1e-12, "second backward of a retained graph");
        Assert.Throws<GraphFreedException>(() => loss.Backward(), "the last backward freed the graph");
    }

    // On logits produced by an op, CrossEntropyLoss's backward hands its saved rows over as the logits' gradient when it
    // writes that gradient first; a second consumer of the logits (replayed before or after it) must still add its share.
    [TestCase(0.0, Reduction.Mean)]
    [TestCase(0.2, Reduction.Sum)]
    public void CrossEntropyOnOpResultsSharesTheirGradientCorrectly(double eps, Reduction reduction)
    {
        var w = Random(12, 7, 4); var x = Random(13, 5, 4);
        GradCheck.Assert(t =>
        {
            var logits = t[1].Linear(t[0]);
            // Replayed in reverse: the first CrossEntropyLoss runs after the Square term and adds; the last one runs first and adopts.
            var first = logits.Relu().CrossEntropyLoss(Labels, reduction, eps);
            var penalty = logits.Square().Sum().Mul(0.01);
            return first.Add(penalty).Add(logits.CrossEntropyLoss(Labels, reduction, eps));
        }, [w, x]);
        GradCheck.Assert(t => t[1].Linear(t[0]).CrossEntropyLoss(Labels, reduction, eps), [w, x]);
    }

    [Test]
    public void CrossEntropyOnOpResultsSurvivesARetainedGraph()
    {
        var w = Random(14, 7, 4); var x = Random(15, 5, 4);
        var loss = x.Linear(w).CrossEntropyLoss(Labels);
        loss.Backward(retainGraph: true);
        var once = w.Grad!.ToArray();
        loss.Backward();
        AssertClose(w.Grad!.ToArray(), once.Select(v => 2 * v).ToArray(), 1e-12, "second backward of a retained graph");
    }

    [TestCase(0.1)]
    [TestCase(1.0)]
    public void LabelSmoothingEqualsExplicitTargetDistribution(double eps)
    {
        var a = Random(7, 5, 7);
        var b = Tensor.FromArray(a.ToArray(), 5, 7);
        b.RequiresGrad = true;
        var q = Ops.OneHot<double>(Labels, 7).ToArray().Select(v => (1 - eps) * v + eps / 7).ToArray();
        var fused = a.CrossEntropyLoss(Labels, labelSmoothing: eps);
        // −(1/N) Σ_i Σ_c q_ic · log softmax(x)_ic
        var explicitLoss = b.LogSoftmax().Mul(Tensor.FromArray(q, 5, 7)).Sum(1).Mean().Neg();
        Assert.That(fused.Item(), Is.EqualTo(explicitLoss.Item()).Within(1e-12));
        fused.Backward(retainGraph: true);
        explicitLoss.Backward();
        AssertClose(a.Grad!.ToArray(), b.Grad!.ToArray(), 1e-12, "gradient");
    }

    [Test]
    public void OutOfRangeTargetNamesOpIndexValueAndClassCount()
    {
        var x = Random(8, 4, 5);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.NllLoss([0, 1, 5, 2]));
        Assert.That(ex!.Message, Does.Contain("NllLoss").And.Contain("index 2").And.Contain("is 5").And.Contain("C = 5"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.CrossEntropyLoss([-1, 1, 2, 2]));
        Assert.That(ex!.Message, Does.Contain("CrossEntropyLoss").And.Contain("index 0").And.Contain("is -1").And.Contain("C = 5"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.OneHot<float>([0, 3], 3));
        Assert.That(ex!.Message, Does.Contain("OneHot").And.Contain("index 1").And.Contain("is 3"));
    }

    [Test]
    public void TargetCountMismatchNamesBothSizes()
    {
        var x = Random(9, 4, 5);
        var ex = Assert.Throws<ArgumentException>(() => x.NllLoss([0, 1, 2]));
        Assert.That(ex!.Message, Does.Contain("NllLoss").And.Contain("3 targets").And.Contain("[4, 5]"));
        ex = Assert.Throws<ArgumentException>(() => x.CrossEntropyLoss([0, 1, 2, 3, 4]));
        Assert.That(ex!.Message, Does.Contain("CrossEntropyLoss").And.Contain("5 targets").And.Contain("[4, 5]"));
        Assert.That(() => Random(10, 4).CrossEntropyLoss([0, 1, 2, 3]), Throws.ArgumentException.With.Message.Contains("[N, C]"));
        Assert.That(() => x.CrossEntropyLoss([0, 1, 2, 3], labelSmoothing: 1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ElementwiseLossShapeMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Random(11, 3, 4).MseLoss(Random(12, 4, 3)));
        Assert.That(ex!.Message, Does.Contain("MseLoss").And.Contain("[3, 4]").And.Contain("[4, 3]"));
        Assert.That(() => Random(13, 3).BceWithLogitsLoss(Random(14, 3, 1)), Throws.ArgumentException.With.Message.Contains("BceWithLogitsLoss"));
        var bad = Tensor.FromArray([0.5, 1.5]);
        Assert.That(() => bad.BceLoss(Tensor.FromArray([0.0, 1.0])),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("BceLoss").And.Message.Contains("1.5"));
    }

    [Test]
    public void BceAtZeroAndOneIsFiniteAndClampedAt100()
    {
        var p = Tensor.FromArray([0.0, 1.0, 0.0, 1.0]);
        p.RequiresGrad = true;
        var t = Tensor.FromArray([0.0, 1.0, 1.0, 0.0]);
        t.RequiresGrad = true;
        var loss = p.BceLoss(t, Reduction.None);
        // Right predictions cost 0; wrong ones cost −log(0), clamped to 100 like PyTorch.
        Assert.That(loss.ToArray(), Is.EqualTo(new[] { 0.0, 0, 100, 100 }));
        loss.Sum().Backward();
        Assert.That(p.Grad!.ToArray().Concat(t.Grad!.ToArray()).All(double.IsFinite), Is.True);
    }

    [Test]
    public void ElementwiseLossesMatchTheirFormulas()
    {
        var x = Random(15, 3, 4); var t = Tensor.Uniform<double>(new Shape(3, 4), 0, 1, new Rng(16));
        var p = x.ToArray().Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        var xs = x.ToArray(); var ts = t.ToArray();
        var mse = xs.Zip(ts, (a, b) => (a - b) * (a - b)).ToArray();
        var bce = p.Zip(ts, (a, b) => -(b * Math.Log(a) + (1 - b) * Math.Log(1 - a))).ToArray();
        AssertClose(x.MseLoss(t, Reduction.None).ToArray(), mse, 1e-12, "MseLoss");
        AssertClose(x.BceWithLogitsLoss(t, Reduction.None).ToArray(), bce, 1e-12, "BceWithLogitsLoss");
        AssertClose(Tensor.FromArray(p, 3, 4).BceLoss(t, Reduction.None).ToArray(), bce, 1e-12, "BceLoss");
        var big = Tensor.FromArray([800.0, -800.0]);
        Assert.That(big.BceWithLogitsLoss(Tensor.FromArray([0.0, 0.0]), Reduction.None).ToArray(), Is.EqualTo(new[] { 800.0, 0 }));
    }

    [Test]
    public void MeanSumAndNoneAgreeForEveryLoss()
    {
        var scores = Random(17, 5, 7);
        var a = Random(18, 3, 4);
        var prob = Tensor.Uniform<double>(new Shape(3, 4), 0.1, 0.9, new Rng(19));
        var target = Tensor.Uniform<double>(new Shape(3, 4), 0, 1, new Rng(20));
        var losses = new (string name, Func<Reduction, Tensor<double>> f, int count)[]
        {
            ("NllLoss", r => scores.NllLoss(Labels, r), 5),
            ("CrossEntropyLoss", r => scores.CrossEntropyLoss(Labels, r, 0.2), 5),
            ("MseLoss", r => a.MseLoss(target, r), 12),
            ("BceLoss", r => prob.BceLoss(target, r), 12),
            ("BceWithLogitsLoss", r => a.BceWithLogitsLoss(target, r), 12),
        };
        foreach (var (name, f, count) in losses)
        {
            var none = f(Reduction.None);
            double sum = f(Reduction.Sum).Item(), mean = f(Reduction.Mean).Item();
            Assert.That(none.Length, Is.EqualTo(count), name);
            Assert.That(sum, Is.EqualTo(none.ToArray().Sum()).Within(1e-12), name);
            Assert.That(mean, Is.EqualTo(sum / count).Within(1e-12), name);
        }
    }

    [Test]
    public void OneHotMarksOneColumnPerRow()
    {
        var h = Ops.OneHot<float>([2, 0], 3);
        Assert.That(h.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(h.ToArray(), Is.EqualTo(new[] { 0f, 0, 1, 1, 0, 0 }));
        Assert.That(h.RequiresGrad, Is.False);
        Assert.That(() => Ops.OneHot<float>([0], 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("OneHot"));
    }
}
