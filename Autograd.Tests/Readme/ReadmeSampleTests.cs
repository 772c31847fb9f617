using System.Text.RegularExpressions;
using Autograd.Nn;

namespace Autograd.Tests.Readme;

public class ReadmeSampleTests
{
    private static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autograd.sln"))) return Path.Combine(dir.FullName, name);
        throw new FileNotFoundException($"{name} not found above {TestContext.CurrentContext.TestDirectory}");
    }

    private static string[] Normalize(string code) =>
        code.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    // The README's first two csharp blocks, each the region of ReadmeSample.cs with that name.
    [TestCase(0, "sample")]
    [TestCase(1, "checkpoint")]
    public void ReadmeShowsExactlyTheCompiledSample(int block, string region)
    {
        string source = File.ReadAllText(RepoFile("Autograd.Tests/Readme/ReadmeSample.cs"));
        string sample = Regex.Match(source, $@"#region {region}\n(.*?)\s*#endregion", RegexOptions.Singleline).Groups[1].Value;
        string readme = File.ReadAllText(RepoFile("README.md"));
        var blocks = Regex.Matches(readme, @"```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.That(blocks, Has.Count.GreaterThan(block), $"README.md has no csharp block {block}");
        // The README adds the using directives the sample needs; everything else must match line for line.
        var shownLines = Normalize(blocks[block].Groups[1].Value).SkipWhile(l => l.StartsWith("using Autograd", StringComparison.Ordinal));
        Assert.That(shownLines, Is.EqualTo(Normalize(sample)), $"README.md's code sample {block} differs from region '{region}' of Autograd.Tests/Readme/ReadmeSample.cs");
    }

    // Every other README block marked "<!-- compiled: FILE#REGION -->" shows exactly that region of FILE.
    [Test]
    public void ReadmeShowsExactlyTheCompiledRegions()
    {
        string readme = File.ReadAllText(RepoFile("README.md"));
        var blocks = Regex.Matches(readme, @"<!-- compiled: (\S+)#(\S+) -->\n```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.That(blocks, Has.Count.GreaterThanOrEqualTo(2), "the higher-order and custom-function samples are marked");
        foreach (Match block in blocks)
        {
            string source = File.ReadAllText(RepoFile(block.Groups[1].Value));
            var region = Regex.Match(source, $@"#region {Regex.Escape(block.Groups[2].Value)}\n(.*?)\s*#endregion", RegexOptions.Singleline);
            Assert.That(region.Success, $"{block.Groups[1].Value} has no region {block.Groups[2].Value}");
            Assert.That(Normalize(block.Groups[3].Value), Is.EqualTo(Normalize(region.Groups[1].Value)), $"README block {block.Groups[2].Value} differs from its source");
        }
    }

    [Test]
    public void HigherOrderSampleComputesTheDerivatives()
    {
        var (d2u, hessian, hv) = ReadmeSample.HigherOrder();
        double[] xs = [0.5, 1.0, 2.0];
        // (x³ sin x)″ = 6x sin x + 6x² cos x − x³ sin x
        Assert.That(d2u.ToArray(), Is.EqualTo(xs.Select(x => 6 * x * Math.Sin(x) + 6 * x * x * Math.Cos(x) - x * x * x * Math.Sin(x))).Within(1e-12));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.That(hessian[i, j], Is.EqualTo(i == j ? 1 + Math.Exp(xs[i]) : 0).Within(1e-12));
        Assert.That(hv.ToArray(), Is.EqualTo(xs.Select(x => 1 + Math.Exp(x))).Within(1e-12));
    }

    [Test]
    public void CustomFunctionSampleIsStableAndTwiceDifferentiable()
    {
        var x = Tensor.FromArray(new[] { -900.0, -0.5, 0.25, 900.0 });
        x.RequiresGrad = true;
        var y = new LogCosh().Apply(x);
        Assert.That(y.ToArray().All(double.IsFinite), Is.True);
        Assert.That(y[3], Is.EqualTo(900 - Math.Log(2)).Within(1e-9));
        var small = Tensor.Uniform<double>(new Shape(5), -2, 2, new Rng(3));
        small.RequiresGrad = true;
        GradCheck.Assert(xs => new LogCosh().Apply(xs[0]), [small]);
        GradCheck.AssertGradGrad(xs => new LogCosh().Apply(xs[0]), [small]);
    }

    [Test]
    public void SampleTrainsToAUsefulAccuracy()
    {
        double accuracy = ReadmeSample.Run();
        Assert.That(accuracy, Is.GreaterThan(0.93), "three epochs of the README sample should classify most bundled test digits");
    }

    [Test]
    public void TheResumableSampleContinuesFromItsCheckpoint()
    {
        string dir = Directory.CreateTempSubdirectory("readme-checkpoint-").FullName;
        try
        {
            string path = Path.Combine(dir, "run.safetensors");
            var trained = ReadmeSample.RunResumable(path);
            var header = SafeTensors.ReadHeader(path);
            Assert.That(header.Metadata["position.epoch"], Is.EqualTo("3"));
            Assert.That(header.Tensors.Select(t => t.Name), Does.Contain("optimizer.state.3.momentum_buffer"));
            // Run again: it loads the finished run and has nothing left to train.
            var again = ReadmeSample.RunResumable(path);
            foreach (var ((name, a), (_, b)) in trained.NamedParameters().Zip(again.NamedParameters()))
                Assert.That(b.ToArray(), Is.EqualTo(a.ToArray()), name);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void CnnSampleTrainsAStepAndSavesUnderPyTorchsNames()
    {
        var (train, _) = Autograd.Nn.Data.BundledDigits.Load<float>();
        var batch = train.Subset(Enumerable.Range(0, 16).ToArray());
        string path = Path.Combine(Path.GetTempPath(), $"readme-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            var cnn = ReadmeSample.Cnn(batch.FeaturesTensor(), batch.Labels, path);
            Assert.That(cnn.IsTraining, Is.False);
            Assert.That(cnn.Forward(batch.FeaturesTensor()).Shape, Is.EqualTo(new Shape(16, 10)));
            var names = Autograd.Nn.SafeTensors.ReadHeader(path).Tensors.Select(t => t.Name).ToArray();
            Assert.That(names, Does.Contain("1.weight").And.Contain("2.running_mean").And.Contain("2.num_batches_tracked").And.Contain("12.bias"));
            Assert.That(((Autograd.Nn.BatchNorm2d<float>)cnn[2]).NumBatchesTracked.Value, Is.EqualTo(1));
        }
        finally { File.Delete(path); }
    }
}
