using System.Text.RegularExpressions;

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

    [Test]
    public void ReadmeShowsExactlyTheCompiledSample()
    {
        string source = File.ReadAllText(RepoFile("Autograd.Tests/Readme/ReadmeSample.cs"));
        string sample = Regex.Match(source, @"#region sample\n(.*?)\s*#endregion", RegexOptions.Singleline).Groups[1].Value;
        string readme = File.ReadAllText(RepoFile("README.md"));
        string shown = Regex.Match(readme, @"```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        // The README adds the using directives the sample needs; everything else must match line for line.
        var shownLines = Normalize(shown).SkipWhile(l => l.StartsWith("using Autograd", StringComparison.Ordinal));
        Assert.That(shownLines, Is.EqualTo(Normalize(sample)), "README.md's code sample differs from Autograd.Tests/Readme/ReadmeSample.cs");
    }

    [Test]
    public void SampleTrainsToAUsefulAccuracy()
    {
        double accuracy = ReadmeSample.Run();
        Assert.That(accuracy, Is.GreaterThan(0.93), "three epochs of the README sample should classify most bundled test digits");
    }
}
