using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Tests.Guide;

/// <summary>Runs every sample of docs/guide and checks what it claims about its result.</summary>
public class GuideSampleTests
{
    private static string TempPath(string name) => Path.Combine(Path.GetTempPath(), $"guide-{Guid.NewGuid():N}-{name}");

    // What a sample prints, so that the output its comments show is checked too.
    private static (TResult Result, string Printed) Printed<TResult>(Func<TResult> sample)
    {
        var original = Console.Out;
        using var output = new StringWriter { NewLine = "\n" };
        Console.SetOut(output);
        try { return (sample(), output.ToString()); }
        finally { Console.SetOut(original); }
    }

    // ---- getting-started.md

    [Test]
    public void FirstGradientIsTwiceX()
    {
        var (grad, printed) = Printed(GettingStartedSamples.FirstGradient);
        Assert.That(grad.ToArray(), Is.EqualTo(new[] { 2.0, 4.0, 6.0 }));
        Assert.That(printed, Is.EqualTo("tensor([2., 4., 6.], shape=[3], dtype=float64)\n"));
    }

    [Test]
    public void FitALineFindsTheSlopeAndIntercept()
    {
        var (model, printed) = Printed(GettingStartedSamples.FitALine);
        Assert.That(printed, Is.EqualTo("w = 3.00, b = -1.00\n"));
        Assert.That(model.Weight.Item(), Is.EqualTo(3f).Within(0.02f));
        Assert.That(model.Bias!.Item(), Is.EqualTo(-1f).Within(0.02f));
    }

    // ---- tensors-and-the-tape.md

    [Test]
    public void TensorsSampleComputesWhatItsCommentsSay()
    {
        var (columnSums, corner, row) = TapeSamples.Tensors();
        Assert.That(columnSums.ToArray(), Is.EqualTo(new[] { 5.0, 9.0, 13.0 }));
        Assert.That(corner, Is.EqualTo(77.0));
        Assert.That(row.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(row.ToArray(), Is.EqualTo(new[] { 4.0, 5.0, 6.0 }));
    }

    [Test]
    public void GradientsAccumulateUntilZeroGrad()
    {
        var (one, two, zero) = TapeSamples.Accumulation();
        Assert.That(one, Is.EqualTo(new[] { 2.0, 3.0 }));
        Assert.That(two, Is.EqualTo(new[] { 4.0, 6.0 }));
        Assert.That(zero, Is.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void RetainedGraphServesTwoLossesThenIsFreed()
    {
        var (x, _, loss2) = TapeSamples.RetainGraph();
        double[] xs = [0.0, 1.0];
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(xs.Select(v => Math.Exp(v) + 2 * Math.Exp(2 * v))).Within(1e-12));
        var e = Assert.Throws<GraphFreedException>(() => loss2.Backward());
        Assert.That(e!.Message, Does.Contain("Exp"));
    }

    [Test]
    public void NoGradRecordsNothingAndDetachMakesAConstant()
    {
        var (recorded, detachedRequiresGrad, w) = TapeSamples.NoGradAndDetach();
        Assert.That(recorded, Is.False);
        Assert.That(detachedRequiresGrad, Is.False);
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { -2.0, -6.0 }));
    }

    [Test]
    public void ScopeReleasesOpResultsAndPooledFactoriesButKeepsWhatItIsTold()
    {
        var (hidden, kept, zeros, fromArray) = TapeSamples.Scope();
        Assert.That(hidden.IsDisposed, Is.True);
        Assert.That(zeros.IsDisposed, Is.True);
        Assert.Throws<ObjectDisposedException>(() => hidden.ToArray());
        Assert.That(kept.IsDisposed, Is.False);
        Assert.That(kept.Item(), Is.EqualTo(1 + Math.E + Math.E * Math.E).Within(1e-12));
        Assert.That(fromArray.IsDisposed, Is.False);
        Assert.That(fromArray.ToArray(), Is.EqualTo(new[] { 1.0, 2.0 }));
    }

    [Test]
    public void NewtonConvergesToLn2()
    {
        var (x, printed) = Printed(TapeSamples.Newton);
        Assert.That(x, Is.EqualTo(Math.Log(2)).Within(1e-15));
        Assert.That(printed, Is.EqualTo("0.6931471805599453\n"));
    }

    [Test]
    public void GradientPenaltyGradientMatchesCentralDifferences()
    {
        var (w, _, penalty) = TapeSamples.GradientPenalty();
        double[] numeric = GradCheck.NumericGradient(penalty, w);
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(numeric).Within(1e-7));
        Assert.That(w.Grad!.ToArray().Any(g => Math.Abs(g) > 0.1), "the penalty depends on w");
    }

    [Test]
    public void FunctionalSampleGivesTheSoftmaxJacobian()
    {
        var (jacobian, hessian, jv, vj, s) = TapeSamples.FunctionalApi();
        double[] z = [1.0, 2.0, 0.5];
        double sum = z.Sum(Math.Exp);
        double[] softmax = z.Select(v => Math.Exp(v) / sum).ToArray();
        Assert.That(s.ToArray(), Is.EqualTo(softmax).Within(1e-15));
        Assert.That(jacobian.Shape, Is.EqualTo(new Shape(3, 3)));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double expected = (i == j ? softmax[i] : 0) - softmax[i] * softmax[j];
                Assert.That(jacobian[i, j], Is.EqualTo(expected).Within(1e-14), $"J[{i},{j}]");
                Assert.That(hessian[i, j], Is.EqualTo(expected).Within(1e-14), $"H[{i},{j}]");
            }
        Assert.That(jv.ToArray(), Is.EqualTo(Enumerable.Range(0, 3).Select(i => jacobian[i, 0])).Within(1e-14));
        Assert.That(vj.ToArray(), Is.EqualTo(Enumerable.Range(0, 3).Select(j => jacobian[0, j])).Within(1e-14));
    }

    // ---- writing-a-module.md

    [Test]
    public void ModulesRegisterTheirStateAndSwitchModes()
    {
        var ((model, names, description, x, first, second), printed) = Printed(ModuleSamples.UseTheModules);
        Assert.That(printed, Is.EqualTo(
            "Sequential(\n  (0): Centering()\n  (1): ScaledMlp(\n    (hidden): Linear(in=8, out=16, bias=true)\n" +
            "    (dropout): Dropout(p=0.2)\n    (output): Linear(in=16, out=3, bias=true)\n  )\n)\n"));
        Assert.That(names, Is.EqualTo(new[] { "1.scale", "1.hidden.weight", "1.hidden.bias", "1.output.weight", "1.output.bias" }));
        Assert.That(model.NamedBuffers().Select(b => b.Key), Is.EqualTo(new[] { "0.running_mean" }));
        Assert.That(model.NamedInt64Buffers().Single().Value.Value, Is.EqualTo(1), "one training-mode forward was counted");
        Assert.That(model.NamedBuffers()[0].Value.ToArray().Any(v => v != 0), "the running mean moved");
        Assert.That(second.ToArray(), Is.EqualTo(first.ToArray()), "evaluation is deterministic");
        Assert.That(model.IsTraining && model[1].IsTraining, "Train() reached the children");
        Assert.That(description + "\n", Is.EqualTo(printed));
        // Training mode differs from evaluation: dropout draws a mask, Centering uses the batch's mean.
        Assert.That(model.Forward(x).ToArray(), Is.Not.EqualTo(first.ToArray()));
    }

    [Test]
    public void CenteringMatchesItsDefinition()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 6 }, 2, 2);
        var c = new Centering(2);
        Assert.That(c.Forward(x).ToArray(), Is.EqualTo(new float[] { -1, -2, 1, 2 }));
        c.Eval();
        Assert.That(c.Forward(x).ToArray(), Is.EqualTo(new float[] { 1 - 0.2f, 2 - 0.4f, 3 - 0.2f, 6 - 0.4f }).Within(1e-6f));
    }

    // ---- training-loops.md

    [Test]
    public void FullLoopLearnsTheDigitsAndAnnealsTheRate()
    {
        var (model, accuracy, lastRate) = TrainingSamples.FullLoop();
        Assert.That(accuracy, Is.GreaterThan(0.92), "four epochs on 7,200 digits reach about 94 %");
        Assert.That(lastRate, Is.EqualTo(0).Within(1e-12), "cosine annealing over tMax = 4 epochs ends at 0");
        Assert.That(model.IsTraining, Is.False, "the last evaluation left the model in eval mode");
    }

    [Test]
    public void OwnDataSampleLearnsTheXorOfSigns()
    {
        var (model, data) = TrainingSamples.OwnData();
        int correct;
        using (Grad.NoGrad())
            correct = model.Forward(data.FeaturesTensor()).ArgMax(axis: -1).Zip(data.Labels).Count(p => p.First == p.Second);
        Assert.That(correct / (double)data.Count, Is.GreaterThan(0.95));
    }

    // ---- custom-functions.md

    [Test]
    public void HypotSampleGivesItsGradients()
    {
        var (a, b, r) = CustomFunctionSamples.UseHypot();
        Assert.That(r.ToArray(), Is.EqualTo(new[] { 5.0, 13.0 }).Within(1e-15));
        Assert.That(a.Grad!.ToArray(), Is.EqualTo(new[] { 3 / 5.0, 5 / 13.0 }).Within(1e-15));
        Assert.That(b.Grad!.ToArray(), Is.EqualTo(new[] { 4 / 5.0, 12 / 13.0 }).Within(1e-15));
    }

    [Test]
    public void HypotSkipsTheGradientNobodyNeeds()
    {
        var a = Tensor.FromArray(new[] { 3.0 });
        a.RequiresGrad = true;
        var b = Tensor.FromArray(new[] { 4.0 });
        new Hypot().Apply(a, b).Sum().Backward();
        Assert.That(a.Grad!.Item(), Is.EqualTo(0.6).Within(1e-15));
        Assert.That(b.Grad, Is.Null);
    }

    [Test]
    public void SpanSoftplusIsStableMatchesCentralDifferencesAndRefusesSecondOrder()
    {
        var x = Tensor.FromArray(new[] { -100f, -1f, 0f, 2f, 100f });
        x.RequiresGrad = true;
        var y = new SpanSoftplus().Apply(x);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, MathF.Log(1 + MathF.Exp(-1)), MathF.Log(2), 2 + MathF.Log(1 + MathF.Exp(-2)), 100f }).Within(1e-6f));
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { -100f, -1f, 0f, 2f, 100f }.Select(v => 1 / (1 + MathF.Exp(-v)))).Within(1e-6f));

        // Against central differences of the forward, in float32 at a float32-sized step.
        var probe = Tensor.FromArray(new[] { -0.7f, 0.3f, 1.9f });
        probe.RequiresGrad = true;
        new SpanSoftplus().Apply(probe).Sum().Backward();
        for (int i = 0; i < probe.Length; i++)
        {
            float h = 1e-2f, v = probe[i];
            float numeric = (MathF.Log(1 + MathF.Exp(v + h)) - MathF.Log(1 + MathF.Exp(v - h))) / (2 * h);
            Assert.That(probe.Grad![i], Is.EqualTo(numeric).Within(1e-4f));
        }

        var z = Tensor.FromArray(new[] { 0.5f });
        z.RequiresGrad = true;
        var ex = Assert.Throws<NotSupportedException>(() => Functional.Grad(new SpanSoftplus().Apply(z).Sum(), z, createGraph: true));
        Assert.That(ex!.Message, Does.Contain("SpanSoftplus"));
    }

    [Test]
    public void StraightThroughRoundsForwardAndPassesTheGradient()
    {
        var x = Tensor.FromArray(new[] { 0.4f, 1.6f, -2.3f });
        x.RequiresGrad = true;
        var y = new RoundStraightThrough().Apply(x);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, 2f, -2f }));
        (y * Tensor.FromArray(new[] { 1f, 2f, 3f })).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }));
    }

    // ---- saving-and-loading.md

    [Test]
    public void SavedModelLoadsIntoAFreshOneWithItsMetadata()
    {
        var rng = new Rng(seed: 9);
        var model = new Sequential<float>(new Linear<float>(784, 128, rng: rng), new ReLU<float>(), new Linear<float>(128, 10, rng: rng));
        string path = TempPath("model.safetensors");
        try
        {
            var (trained, restored, metadata) = SavingSamples.SaveAndLoad(path, model);
            Assert.That(metadata["architecture"], Is.EqualTo("784-128-10"));
            Assert.That(metadata["epochs"], Is.EqualTo("3"));
            var x = Tensor.Uniform<float>(new Shape(3, 784), 0, 1, new Rng(1));
            Assert.That(restored.Forward(x).ToArray(), Is.EqualTo(trained.Forward(x).ToArray()));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void InterruptedRunsEndBitIdenticalToAnUninterruptedOne()
    {
        var (train, _) = BundledDigits.Load<float>();
        var small = train.Subset(Enumerable.Range(0, 640).ToArray());   // 20 batches of 32 per epoch
        string straight = TempPath("straight.safetensors"), pieces = TempPath("pieces.safetensors");
        try
        {
            var (reference, finished) = SavingSamples.ResumableRun(straight, small, int.MaxValue);
            Assert.That(finished);
            // Budgets of 30 steps: runs stop mid-epoch, after checkpoints at batch 25 of epoch 0, the end of epoch 0,
            // batch 5 of epoch 1 … and each run repeats the steps after the last checkpoint.
            Sequential<float> resumed;
            int runs = 0;
            do { (resumed, finished) = SavingSamples.ResumableRun(pieces, small, 30); runs++; } while (!finished && runs < 10);
            Assert.That(finished, $"not finished after {runs} runs");
            Assert.That(runs, Is.GreaterThan(1));
            foreach (var ((name, a), (_, b)) in reference.NamedParameters().Zip(resumed.NamedParameters()))
                Assert.That(b.ToArray(), Is.EqualTo(a.ToArray()), name);
            var header = SafeTensors.ReadHeader(pieces);
            Assert.That(header.Metadata["position.epoch"], Is.EqualTo("2"));
            Assert.That(header.Metadata.Keys, Does.Contain("rng.dropout"));
        }
        finally { File.Delete(straight); File.Delete(pieces); }
    }

    [Test]
    public void RawTensorsRoundTripWithTheirMetadata()
    {
        string path = TempPath("stats.safetensors");
        try
        {
            var (loaded, metadata, header, mean) = SavingSamples.RawTensors(path);
            Assert.That(loaded.Keys, Is.EqualTo(new[] { "mean", "std" }));
            Assert.That(loaded["mean"].ToArray(), Is.EqualTo(mean.ToArray()));
            Assert.That(loaded["std"].Shape, Is.EqualTo(new Shape(784)));
            Assert.That(loaded["std"].ToArray().Max(), Is.GreaterThan(0.3f));
            Assert.That(metadata["source"], Is.EqualTo("bundled digits, train split"));
            Assert.That(header.Tensors.Select(t => (t.Name, t.DType)), Is.EqualTo(new[] { ("mean", "F32"), ("std", "F32") }));
        }
        finally { File.Delete(path); }
    }

    // ---- exporting.md

    [Test]
    public void ExportedNetworkRunsInOnnxRuntimeLikeTheLibrary()
    {
        var (_, test) = BundledDigits.Load<float>();
        var images = test.Subset(Enumerable.Range(0, 7).ToArray()).FeaturesTensor();
        string path = TempPath("model.onnx");
        try
        {
            var (onnx, ours) = ExportingSamples.ExportAndRun(path, images);
            Assert.That(ours.Shape, Is.EqualTo(new Shape(7, 10)));
            Assert.That(Onnx.OnnxRuntimeRunner.RelativeDifference<float>(onnx, ours.AsReadOnlySpan()), Is.LessThanOrEqualTo(1e-5));
        }
        finally { File.Delete(path); }
    }

    // ---- performance.md

    [Test]
    public void AScopedStepAllocatesOnlyHandles()
    {
        var (train, _) = BundledDigits.Load<float>();
        var batch = train.Subset(Enumerable.Range(0, 64).ToArray());
        var (withScope, withoutScope) = PerformanceSamples.AllocationPerStep(batch.FeaturesTensor(), batch.Labels);
        Assert.That(withScope, Is.LessThan(4096), "a scoped step allocates its Tensor handles, not its buffers");
        Assert.That(withoutScope, Is.GreaterThan(64 * 128 * sizeof(float)), "an unscoped step allocates at least its hidden activations");
    }

    [Test]
    public void Float32GradientsAgreeWithFloat64()
    {
        var (train, _) = BundledDigits.Load<float>();
        var batch = train.Subset(Enumerable.Range(0, 32).ToArray());
        var (maxDifference, loss64) = PerformanceSamples.Float32AgainstFloat64(batch.FeaturesTensor(), batch.Labels);
        Assert.That(loss64.Item(), Is.GreaterThan(1.0), "an untrained network's loss");
        Assert.That(maxDifference, Is.LessThan(1e-5).And.GreaterThan(0), "float32 is close to float64, not equal");
    }
}
