using System.Security.Cryptography;
using Autograd.Nn.Data;

namespace Autograd.Tests.Data;

public class MnistDownloaderTests
{
    private TempDir _dir = null!;
    private LoopbackServer _server = null!;
    private Dictionary<string, byte[]> _content = null!;
    private Dictionary<string, string> _hashes = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        _server = new LoopbackServer();
        var images = DataTestFiles.Images(6, 28, 28, seed: 1);
        var testImages = DataTestFiles.Images(4, 28, 28, seed: 2);
        _content = new()
        {
            ["train-images-idx3-ubyte.gz"] = Gz(IdxReader.ImagesMagic, [6, 28, 28], images.Pixels),
            ["train-labels-idx1-ubyte.gz"] = Gz(IdxReader.LabelsMagic, [6], DataTestFiles.Labels(6)),
            ["t10k-images-idx3-ubyte.gz"] = Gz(IdxReader.ImagesMagic, [4, 28, 28], testImages.Pixels),
            ["t10k-labels-idx1-ubyte.gz"] = Gz(IdxReader.LabelsMagic, [4], [9, 8, 7, 6]),
        };
        _hashes = _content.ToDictionary(kv => kv.Key, kv => Convert.ToHexStringLower(SHA256.HashData(kv.Value)));
        foreach (var (name, bytes) in _content) _server.Serve(name, bytes);
    }

    [TearDown]
    public void TearDown()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    private static byte[] Gz(int magic, int[] dims, byte[] payload) => DataTestFiles.Gzip(DataTestFiles.RawIdx(magic, dims, payload));

    private MnistDownloader Downloader(params Uri[] mirrors) =>
        new(_dir.File("cache"), mirrors.Length > 0 ? mirrors : [_server.BaseUrl], _hashes, TimeSpan.FromSeconds(20));

    [Test]
    public async Task DownloadsVerifiesAndCachesTheFourFiles()
    {
        string dir = await Downloader().EnsureAsync();
        Assert.That(dir, Is.EqualTo(_dir.File("cache")));
        foreach (var (name, bytes) in _content) Assert.That(File.ReadAllBytes(Path.Combine(dir, name)), Is.EqualTo(bytes), name);
        Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(4), "no temporary files left");
        Assert.That(_server.Requests, Is.EquivalentTo(MnistDownloader.FileNames));

        var (train, test) = Mnist.LoadDirectory<float>(dir, PixelScale.Raw);
        Assert.That((train.Count, test.Count, train.FeatureCount), Is.EqualTo((6, 4, 784)));
        Assert.That(test.Labels, Is.EqualTo(new[] { 9, 8, 7, 6 }));
    }

    [Test]
    public async Task ValidCachedFilesAreNotDownloadedAgain()
    {
        await Downloader().EnsureAsync();
        _server.Requests.Clear();
        await Downloader().EnsureAsync();
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public async Task CorruptedCacheFileIsDownloadedAgain()
    {
        string dir = await Downloader().EnsureAsync();
        string damaged = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(damaged, [1, 2, 3]);
        _server.Requests.Clear();
        await Downloader().EnsureAsync();
        Assert.That(_server.Requests, Is.EqualTo(new[] { "t10k-labels-idx1-ubyte.gz" }));
        Assert.That(MnistDownloader.IsValid(damaged, _hashes["t10k-labels-idx1-ubyte.gz"]), Is.True);
    }

    [Test]
    public void HashMismatchIsRejectedAndNothingIsCached()
    {
        var tampered = (byte[])_content["train-labels-idx1-ubyte.gz"].Clone();
        tampered[^5] ^= 0xFF;
        _server.Serve("train-labels-idx1-ubyte.gz", tampered);
        var e = Assert.ThrowsAsync<DatasetDownloadException>(() => Downloader().EnsureAsync())!;
        Assert.That(e.Message, Does.Contain("train-labels-idx1-ubyte.gz").And.Contain("SHA-256 mismatch")
            .And.Contain(_hashes["train-labels-idx1-ubyte.gz"]).And.Contain(_server.BaseUrl.AbsoluteUri));
        var cached = Directory.GetFiles(_dir.File("cache")).Select(Path.GetFileName);
        Assert.That(cached, Is.EqualTo(new[] { "train-images-idx3-ubyte.gz" }), "only the verified file before it is kept");
    }

    [Test]
    public void UnreachableServerGivesTheOfflineMessage()
    {
        var dead = new Uri($"http://127.0.0.1:{LoopbackServer.FreePort()}/mnist/");
        var e = Assert.ThrowsAsync<DatasetDownloadException>(() => Downloader(dead).EnsureAsync())!;
        Assert.That(e.Message, Does.StartWith($"could not download train-images-idx3-ubyte.gz from {dead}train-images-idx3-ubyte.gz: "));
        Assert.That(e.Message, Does.Contain($"copy the four files").And.Contain(_dir.File("cache")).And.Contain("pass --data DIR"));
        Assert.That(Directory.GetFiles(_dir.File("cache")), Is.Empty);
    }

    [Test]
    public async Task LaterMirrorIsTriedWhenTheFirstFails()
    {
        var missing = new Uri(_server.BaseUrl, "../elsewhere/");
        string dir = await Downloader(missing, _server.BaseUrl).EnsureAsync();
        foreach (var name in MnistDownloader.FileNames) Assert.That(MnistDownloader.IsValid(Path.Combine(dir, name), _hashes[name]), Is.True);
    }

    [Test]
    public void EveryMirrorFailureIsReported()
    {
        var missing = new Uri(_server.BaseUrl, "../elsewhere/");
        _server.Serve("train-images-idx3-ubyte.gz", [0x1f, 0x8b, 0]);
        var e = Assert.ThrowsAsync<DatasetDownloadException>(() => Downloader(missing, _server.BaseUrl).EnsureAsync())!;
        Assert.That(e.Message, Does.Contain("HTTP 404").And.Contain("SHA-256 mismatch"));
    }

    [Test]
    public void DefaultsAreTheDocumentedOnes()
    {
        Assert.That(MnistDownloader.DefaultCacheDirectory, Does.EndWith(Path.Combine("autograd", "mnist")));
        Assert.That(MnistDownloader.DefaultMirrors.Select(u => u.Host), Is.EqualTo(new[] { "ossci-datasets.s3.amazonaws.com", "yann.lecun.com" }));
        Assert.That(MnistDownloader.DefaultSha256.Keys, Is.EquivalentTo(MnistDownloader.FileNames));
        Assert.Throws<ArgumentException>(() => new MnistDownloader(_dir.Path, sha256: new Dictionary<string, string> { ["x"] = "y" }));
    }

    [Test]
    public void LoadDirectoryAcceptsUncompressedFilesAndListsMissingOnes()
    {
        foreach (var (name, bytes) in _content.Where(kv => kv.Key.StartsWith("train")))
            File.WriteAllBytes(_dir.File(name[..^3]), new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress).ReadAllBytes());
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.LoadDirectory<float>(_dir.Path, PixelScale.Raw))!;
        Assert.That(e.Message, Does.Contain("t10k-images-idx3-ubyte.gz").And.Contain("t10k-labels-idx1-ubyte.gz").And.Not.Contain("lacks train"));
        File.WriteAllBytes(_dir.File("t10k-images-idx3-ubyte.gz"), _content["t10k-images-idx3-ubyte.gz"]);
        File.WriteAllBytes(_dir.File("t10k-labels-idx1-ubyte.gz"), _content["t10k-labels-idx1-ubyte.gz"]);
        var (train, test) = Mnist.LoadDirectory<double>(_dir.Path, PixelScale.UnitInterval);
        Assert.That((train.Count, test.Count), Is.EqualTo((6, 4)));
    }
}

internal static class StreamExtensions
{
    public static byte[] ReadAllBytes(this Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
