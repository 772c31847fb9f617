using Autograd.Nn;
using Autograd.Tests.Data;

namespace Autograd.Tests.Hardening;

/// <summary>
/// Atomic saves after crashes. A process killed during a save leaves its temporary file (the finally block never runs);
/// that is reproduced here by creating such a file, since starting and killing a child process would take seconds.
/// The next save to the same target must delete it, leave live writers' files and unrelated files alone, and a write
/// that fails midway must leave the previous target intact.
/// </summary>
public class AtomicFileTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    private static string TemporaryName(string target) => $".{target}.{Guid.NewGuid():N}.tmp";

    private static Dictionary<string, Tensor<float>> Weights(float value) => new() { ["w"] = Tensor.Full(new Shape(3, 4), value) };

    [Test]
    public void LeftoversOfCrashedSavesAreRemovedByTheNextSave()
    {
        string target = _dir.File("model.safetensors");
        SafeTensors.Save(target, Weights(1));
        // What 30 kill -9 during Save left behind: half-written temporary files of this target.
        var leftovers = Enumerable.Range(0, 30).Select(_ => _dir.File(TemporaryName("model.safetensors"))).ToList();
        foreach (var (path, i) in leftovers.Select((p, i) => (p, i))) File.WriteAllBytes(path, new byte[100 + i]);
        // Files that only look similar, or belong to another target, are not ours to delete.
        string[] unrelated =
        [
            _dir.File(TemporaryName("other.safetensors")),
            _dir.File(".model.safetensors.notours.tmp"),
            _dir.File(".model.safetensors." + new string('A', 32) + ".tmp"),
            _dir.File("model.safetensors.bak"),
        ];
        foreach (var path in unrelated) File.WriteAllText(path, "keep");

        SafeTensors.Save(target, Weights(2));

        Assert.That(leftovers.Where(File.Exists), Is.Empty, "stale temporary files of the target");
        Assert.That(unrelated.All(File.Exists), "unrelated files survive");
        Assert.That(SafeTensors.Load<float>(target)["w"].ToArray(), Is.All.EqualTo(2f));
        Assert.That(Directory.GetFiles(_dir.Path).Length, Is.EqualTo(1 + unrelated.Length));
    }

    [Test]
    public void TheTemporaryFileOfALiveWriterIsLeftAlone()
    {
        string target = _dir.File("model.safetensors");
        string live = _dir.File(TemporaryName("model.safetensors"));
        // Held open the way AtomicFile.Write holds its own (FileShare.Delete), as a writer in another process would.
        using (var writer = new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.Delete))
        {
            writer.Write(new byte[10]);
            SafeTensors.Save(target, Weights(3));
            Assert.That(File.Exists(live), "a save must not delete the file another save is writing");
        }
        SafeTensors.Save(target, Weights(4));
        Assert.That(File.Exists(live), Is.False, "once its writer is gone, the next save removes it");
    }

    [Test]
    public void AWriteThatFailsMidwayLeavesTheTargetIntactAndNoTemporaryFile()
    {
        string target = _dir.File("model.safetensors");
        SafeTensors.Save(target, Weights(5));
        var before = File.ReadAllBytes(target);
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
            {
                stream.Write(new byte[4096]);   // half a file
                stream.Flush();
                throw new IOException("disk full (simulated)");
            }))!;
            Assert.That(e.Message, Does.Contain("simulated"), "the write's own exception reaches the caller");
        }
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir.Path), Is.EqualTo(new[] { target }));
    }

    [Test]
    public void ReadersDuringAWriteSeeTheOldFileWhole()
    {
        string target = _dir.File("data.bin");
        AtomicFile.WriteAllBytes(target, new byte[] { 1, 2, 3 });
        AtomicFile.Write(target, stream =>
        {
            stream.Write(new byte[] { 9, 9 });
            // Mid-write, the target still holds the previous content, complete.
            Assert.That(File.ReadAllBytes(target), Is.EqualTo(new byte[] { 1, 2, 3 }));
            stream.Write(new byte[] { 9 });
        });
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(new byte[] { 9, 9, 9 }));
    }

    [Test]
    public void TemporaryNamesAreRecognisedExactly()
    {
        string hex = Guid.NewGuid().ToString("N");
        Assert.That(AtomicFile.IsTemporaryOf("m.bin", $".m.bin.{hex}.tmp"), Is.True);
        Assert.That(AtomicFile.IsTemporaryOf("m.bin", $".m.bin.{hex.ToUpperInvariant()}.tmp"), Is.False);
        Assert.That(AtomicFile.IsTemporaryOf("m.bin", $".m.bin.{hex[1..]}.tmp"), Is.False);
        Assert.That(AtomicFile.IsTemporaryOf("m.bin", $".n.bin.{hex}.tmp"), Is.False);
        Assert.That(AtomicFile.IsTemporaryOf("m.bin", $"m.bin.{hex}.tmp"), Is.False);
        Assert.That(AtomicFile.IsTemporaryOf("m", $".m.bin.{hex}.tmp"), Is.False);
    }
}
