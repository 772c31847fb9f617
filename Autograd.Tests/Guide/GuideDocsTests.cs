using System.Text.RegularExpressions;

namespace Autograd.Tests.Guide;

/// <summary>
/// Ties docs/guide to compiled code: every csharp block of the guide is marked <c>&lt;!-- compiled: FILE#REGION --&gt;</c>
/// and is byte for byte that region of FILE (less its indentation); every region of the guide's sample files is shown;
/// every xml block marked <c>&lt;!-- excerpt: FILE --&gt;</c> is made of FILE's lines, in order; links to pages and
/// their headings resolve.
/// </summary>
public class GuideDocsTests
{
    private const string GuideFolder = "docs/guide";
    private const string SampleFolder = "Autograd.Tests/Guide";

    private static readonly Regex Fence = new(@"^```(\w*)\n(.*?)\n```$", RegexOptions.Singleline | RegexOptions.Multiline);
    private static readonly Regex Marker = new(@"<!-- (compiled|excerpt): ([^#\s]+)(?:#(\S+))? -->\n$");

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autograd.sln"))) return dir.FullName;
        throw new FileNotFoundException($"Autograd.sln not found above {TestContext.CurrentContext.TestDirectory}");
    }

    private static string Read(string relative) => File.ReadAllText(Path.Combine(RepoRoot(), relative)).Replace("\r\n", "\n");

    private static IEnumerable<string> GuidePages() =>
        Directory.GetFiles(Path.Combine(RepoRoot(), GuideFolder), "*.md").Order(StringComparer.Ordinal)
            .Select(p => Path.GetRelativePath(RepoRoot(), p).Replace('\\', '/'));

    /// <summary>The text of region <paramref name="name"/> of <paramref name="source"/>, less the indentation its lines share.</summary>
    internal static string? Region(string source, string name)
    {
        var match = Regex.Match(source, $@"^[ \t]*#region {Regex.Escape(name)}[ \t]*\n(.*?)\n[ \t]*#endregion", RegexOptions.Singleline | RegexOptions.Multiline);
        if (!match.Success) return null;
        var lines = match.Groups[1].Value.Split('\n').Select(l => l.TrimEnd()).ToArray();
        int indent = lines.Where(l => l.Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length == 0 ? l : l[indent..]));
    }

    private static IEnumerable<(string Page, string Language, string Code, Match? Marker)> Blocks()
    {
        foreach (var page in GuidePages())
        {
            string text = Read(page);
            foreach (Match fence in Fence.Matches(text))
            {
                var marker = Marker.Match(text[..fence.Index]);
                yield return (page, fence.Groups[1].Value, fence.Groups[2].Value, marker.Success ? marker : null);
            }
        }
    }

    [Test]
    public void EveryCsharpBlockIsACompiledRegion()
    {
        var csharp = Blocks().Where(b => b.Language == "csharp").ToArray();
        Assert.That(csharp, Has.Length.GreaterThanOrEqualTo(15), "the guide's C# samples were not found");
        foreach (var (page, _, code, marker) in csharp)
        {
            Assert.That(marker is { Groups: var g } && g[1].Value == "compiled" && g[3].Success,
                $"{page}: a csharp block is not preceded by <!-- compiled: FILE#REGION -->:\n{code[..Math.Min(code.Length, 200)]}");
            string file = marker!.Groups[2].Value, region = marker.Groups[3].Value;
            Assert.That(File.Exists(Path.Combine(RepoRoot(), file)), $"{page}: {file} does not exist");
            string? expected = Region(Read(file), region);
            Assert.That(expected, Is.Not.Null, $"{page}: {file} has no region '{region}'");
            Assert.That(code, Is.EqualTo(expected), $"{page}: the block marked {file}#{region} differs from the compiled region (python3 tools/sync-guide-samples.py rewrites it)");
        }
    }

    [Test]
    public void EverySampleRegionIsShownInTheGuide()
    {
        var shown = Blocks().Where(b => b.Marker is not null).Select(b => $"{b.Marker!.Groups[2].Value}#{b.Marker.Groups[3].Value}").ToHashSet();
        var files = Directory.GetFiles(Path.Combine(RepoRoot(), SampleFolder), "*Samples.cs");
        Assert.That(files, Is.Not.Empty);
        foreach (var path in files)
        {
            string file = $"{SampleFolder}/{Path.GetFileName(path)}";
            foreach (Match region in Regex.Matches(Read(file), @"#region (\S+)"))
                Assert.That(shown, Does.Contain($"{file}#{region.Groups[1].Value}"), $"region '{region.Groups[1].Value}' of {file} is shown nowhere in {GuideFolder}");
        }
    }

    [Test]
    public void EveryExcerptIsMadeOfItsFilesLines()
    {
        var excerpts = Blocks().Where(b => b.Marker is { } m && m.Groups[1].Value == "excerpt").ToArray();
        Assert.That(excerpts, Is.Not.Empty, "the project settings shown in the guide are marked as excerpts");
        foreach (var (page, _, code, marker) in excerpts)
        {
            string file = marker!.Groups[2].Value;
            var lines = Read(file).Split('\n').Select(l => l.Trim()).ToList();
            int at = 0;
            foreach (var line in code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l != "..."))
            {
                int found = lines.IndexOf(line, at);
                Assert.That(found, Is.GreaterThanOrEqualTo(0), $"{page}: the excerpt line '{line}' is not in {file} (after line {at})");
                at = found + 1;
            }
        }
    }

    // GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
    private static string Anchor(string heading) =>
        Regex.Replace(heading.Trim().ToLowerInvariant(), @"[^\p{L}\p{N} _-]", "").Replace(' ', '-');

    [Test]
    public void GuideLinksResolve()
    {
        foreach (var page in GuidePages().Append("README.md"))
        {
            string dir = Path.GetDirectoryName(Path.Combine(RepoRoot(), page))!;
            foreach (Match link in Regex.Matches(Read(page), @"\]\(([^)#\s]+\.md)(?:#([^)]*))?\)"))
            {
                if (link.Groups[1].Value.Contains("://")) continue;
                string target = Path.Combine(dir, link.Groups[1].Value);
                Assert.That(File.Exists(target), $"{page}: the link {link.Groups[1].Value} leads nowhere");
                if (!link.Groups[2].Success) continue;
                var anchors = Regex.Matches(File.ReadAllText(target), @"^#+ (.+)$", RegexOptions.Multiline).Select(h => Anchor(h.Groups[1].Value));
                Assert.That(anchors, Does.Contain(link.Groups[2].Value), $"{page}: {link.Groups[1].Value} has no heading #{link.Groups[2].Value}");
            }
        }
        Assert.That(Read("README.md"), Does.Contain("](docs/guide/README.md)"), "the README links the guide");
    }
}
