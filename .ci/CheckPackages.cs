// Checks the packages that `dotnet pack` wrote, beyond what building a consumer can see:
//   dotnet run --file .ci/CheckPackages.cs -- <feed folder> <version> <repository root>
// Exactly the three library packages, each with its symbols package; LICENSE, README.md and the XML docs inside
// (THIRD-PARTY-NOTICES.md in the digits package); dependencies on our own packages at exactly this version;
// no internal types in the docs; no path of the build machine in a DLL or PDB (the PDB's document names, which it
// stores split into parts, are checked one by one); every source file embedded in the PDB.
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Xml.Linq;

if (args.Length != 3) { Console.Error.WriteLine("usage: CheckPackages <feed folder> <version> <repository root>"); return 2; }
string feed = args[0], version = args[1], root = Path.GetFullPath(args[2]).TrimEnd('/');
string[] ids = ["Autograd", "Autograd.Nn", "Autograd.Nn.Digits", "Autograd.Onnx"];
var problems = new List<string>();
var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

var expected = ids.SelectMany(id => new[] { $"{id}.{version}.nupkg", $"{id}.{version}.snupkg" }).ToHashSet();
foreach (var file in Directory.GetFiles(feed).Select(Path.GetFileName))
    if (!expected.Contains(file!)) problems.Add($"{file}: not one of the packages this repository ships");

foreach (var id in ids)
{
    string package = Path.Combine(feed, $"{id}.{version}.nupkg"), symbols = Path.ChangeExtension(package, ".snupkg");
    if (!File.Exists(package) || !File.Exists(symbols)) { problems.Add($"{id}: {Path.GetFileName(package)} or its .snupkg is missing"); continue; }
    using var nupkg = ZipFile.OpenRead(package);
    using var snupkg = ZipFile.OpenRead(symbols);
    string[] required = ["LICENSE", "README.md", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml", .. id.EndsWith("Digits") ? new[] { "THIRD-PARTY-NOTICES.md" } : []];
    foreach (var name in required)
        if (nupkg.GetEntry(name) is null) problems.Add($"{id}: {name} is missing from the package");

    var nuspec = XDocument.Load(nupkg.GetEntry($"{id}.nuspec")!.Open());
    foreach (var dependency in nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"))
        if (ids.Contains((string?)dependency.Attribute("id")) && (string?)dependency.Attribute("version") != $"[{version}]")
            problems.Add($"{id}: depends on {dependency.Attribute("id")} {dependency.Attribute("version")}, not exactly [{version}]");

    string docs = Read(nupkg, $"lib/net10.0/{id}.xml");
    if (docs.Contains("name=\"T:Autograd.Kernels.")) problems.Add($"{id}: the XML docs document internal types");

    byte[] dll = Bytes(nupkg, $"lib/net10.0/{id}.dll"), pdb = Bytes(snupkg, $"lib/net10.0/{id}.pdb");
    foreach (var (name, bytes) in new[] { ("dll", dll), ("pdb", pdb) })
        if (Contains(bytes, Encoding.UTF8.GetBytes(root)) || Contains(bytes, Encoding.Unicode.GetBytes(root)))
            problems.Add($"{id}: the {name} contains the build path {root}");

    using var provider = MetadataReaderProvider.FromPortablePdbImage([.. pdb]);
    var reader = provider.GetMetadataReader();
    foreach (var handle in reader.Documents)
    {
        string path = reader.GetString(reader.GetDocument(handle).Name);
        bool embedded = reader.GetCustomDebugInformation(handle).Any(c => reader.GetGuid(reader.GetCustomDebugInformation(c).Kind) == embeddedSource);
        if (!path.StartsWith("/_/")) problems.Add($"{id}: PDB document {path} is not under the mapped root /_/");
        if (!embedded) problems.Add($"{id}: PDB document {path} has no embedded source");
    }
    Console.WriteLine($"{id} {version}: {new FileInfo(package).Length:N0} bytes, symbols {new FileInfo(symbols).Length:N0} bytes, {reader.Documents.Count} embedded sources");
}

foreach (var problem in problems) Console.Error.WriteLine($"CheckPackages: {problem}");
return problems.Count == 0 ? 0 : 1;

static byte[] Bytes(ZipArchive zip, string name)
{
    using var stream = zip.GetEntry(name)!.Open();
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    return copy.ToArray();
}

static string Read(ZipArchive zip, string name) => Encoding.UTF8.GetString(Bytes(zip, name));

static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
