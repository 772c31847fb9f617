using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Autograd.Tools.PublicXmlDocs;

// Usage: PublicXmlDocs <assembly.dll> <docs.xml>
// Rewrites docs.xml in place, keeping only the members a user of the assembly can see (public or protected, in
// visible types). The compiler writes every documented member, internal ones included, into the file that ships
// beside the DLL in the package.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PublicXmlDocs <assembly.dll> <docs.xml>");
    return 2;
}
string assemblyPath = args[0], docsPath = args[1];

HashSet<string> visible, all;
using (var pe = new PEReader(File.OpenRead(assemblyPath)))
    (visible, all) = DocumentationIds.Of(pe.GetMetadataReader());

var doc = XDocument.Load(docsPath, LoadOptions.PreserveWhitespace);
var members = doc.Root?.Element("members")
    ?? throw new InvalidDataException($"PublicXmlDocs: {docsPath} has no <members> element.");
var unmatched = new List<string>();
int removed = 0;
foreach (var member in members.Elements("member").ToList())
{
    string id = member.Attribute("name")?.Value ?? "";
    if (visible.Contains(id)) continue;
    // An entry that names no member at all means this tool spells some signature differently from the compiler:
    // stop rather than silently drop the documentation of a public member.
    if (!all.Contains(id)) { unmatched.Add(id); continue; }
    if (member.PreviousNode is XText indent) indent.Remove();
    member.Remove();
    removed++;
}
if (unmatched.Count > 0)
{
    Console.Error.WriteLine($"PublicXmlDocs: {docsPath}: {unmatched.Count} documentation entries match no member of {Path.GetFileName(assemblyPath)}:");
    foreach (var id in unmatched) Console.Error.WriteLine($"  {id}");
    return 1;
}

// A public member's documentation that points at an internal one sends the reader to nothing.
var hidden = members.Elements("member")
    .SelectMany(m => m.Descendants().Select(e => (Member: m.Attribute("name")?.Value, Target: e.Attribute("cref")?.Value)))
    .Where(r => r.Target is not null && all.Contains(r.Target) && !visible.Contains(r.Target))
    .ToList();
if (hidden.Count > 0)
{
    Console.Error.WriteLine($"PublicXmlDocs: {docsPath}: public documentation refers to internal members:");
    foreach (var (member, target) in hidden) Console.Error.WriteLine($"  {member} -> {target}");
    return 1;
}

string temporary = docsPath + ".tmp";
doc.Save(temporary, SaveOptions.DisableFormatting);
File.Move(temporary, docsPath, overwrite: true);
Console.WriteLine($"PublicXmlDocs: {Path.GetFileName(docsPath)}: kept {members.Elements("member").Count()} public entries, removed {removed} internal ones");
return 0;
