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
}
