using System.Security.Cryptography;

namespace Autograd.Nn.Data;

/// <summary>A data set file could not be obtained from any mirror.</summary>
public sealed class DatasetDownloadException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Downloads the four MNIST files into a per-user cache, each checked against its SHA-256 before it is kept.
/// Files already cached with the right hash are not downloaded again; a damaged cached file is replaced.
/// Every file is written atomically, so an interrupted download never leaves a partial file in the cache.
/// </summary>
public sealed class MnistDownloader
{
    /// <summary>The four files, in the order train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    /// <summary>
    /// SHA-256 of the files as distributed (sizes 9,912,422 / 28,881 / 1,648,877 / 4,542 bytes). torchvision's mnist.py
    /// lists MD5 only; these SHA-256 values are the ones several independent projects verify downloads against (for
    /// example ankane/torchvision-ruby's lib/torchvision/datasets/mnist.rb and the Guild AI resource documentation),
    /// and they agree with each other. Pass another table to the constructor for other mirrors or variants.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultSha256 { get; } = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ["train-labels-idx1-ubyte.gz"] = "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ["t10k-images-idx3-ubyte.gz"] = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ["t10k-labels-idx1-ubyte.gz"] = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    };

    /// <summary>The public mirror PyTorch uses, then the original address; tried in order.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } =
        [new("https://ossci-datasets.s3.amazonaws.com/mnist/"), new("http://yann.lecun.com/exdb/mnist/")];

    /// <summary>Per-user cache: LocalApplicationData/autograd/mnist (the temp folder when the system has none).</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(root)) root = Path.GetTempPath();
            return Path.Combine(root, "autograd", "mnist");
        }
    }

    private readonly IReadOnlyList<Uri> _mirrors;
    private readonly IReadOnlyDictionary<string, string> _sha256;

    /// <summary>Where the files are cached.</summary>
    public string CacheDirectory { get; }

    /// <summary>Limit for each HTTP request, including reading the body.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Creates a downloader; every argument left null takes the documented default.</summary>
    /// <param name="cacheDirectory">Cache folder (default <see cref="DefaultCacheDirectory"/>).</param>
    /// <param name="mirrors">Base URLs, each followed directly by the file name (default <see cref="DefaultMirrors"/>).</param>
    /// <param name="sha256">Expected lowercase-hex SHA-256 for each of <see cref="FileNames"/> (default <see cref="DefaultSha256"/>).</param>
    /// <param name="timeout">Per-request limit (default 2 minutes).</param>
    public MnistDownloader(string? cacheDirectory = null, IReadOnlyList<Uri>? mirrors = null,
        IReadOnlyDictionary<string, string>? sha256 = null, TimeSpan? timeout = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory);
        _mirrors = mirrors ?? DefaultMirrors;
        if (_mirrors.Count == 0) throw new ArgumentException("MnistDownloader: at least one mirror is needed.", nameof(mirrors));
        // A base without a trailing slash would make new Uri(base, name) replace its last segment.
        _mirrors = _mirrors.Select(m => m.AbsoluteUri.EndsWith('/') ? m : new Uri(m.AbsoluteUri + "/")).ToArray();
        _sha256 = sha256 ?? DefaultSha256;
        foreach (var name in FileNames)
            if (!_sha256.TryGetValue(name, out var h) || h.Length != 64 || !h.All(Uri.IsHexDigit))
                throw new ArgumentException($"MnistDownloader: the hash table needs a 64-hex-digit SHA-256 for {name}.", nameof(sha256));
        Timeout = timeout ?? TimeSpan.FromMinutes(2);
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), $"MnistDownloader: timeout {Timeout} must be positive.");
    }

    /// <summary>Makes sure all four files are in <see cref="CacheDirectory"/> with the right hashes; returns that folder.</summary>
    /// <exception cref="DatasetDownloadException">A file could not be obtained from any mirror.</exception>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(CacheDirectory);
        using var http = new HttpClient { Timeout = Timeout, MaxResponseContentBufferSize = 64 << 20 };
        foreach (var name in FileNames)
        {
            string path = Path.Combine(CacheDirectory, name);
            string expected = _sha256[name].ToLowerInvariant();
            if (File.Exists(path))
            {
                if (HashOf(await File.ReadAllBytesAsync(path, cancellationToken)) == expected) continue;
                File.Delete(path);   // damaged or from another variant: never leave a file that fails its check
            }
            await DownloadAsync(http, name, path, expected, cancellationToken);
        }
        return CacheDirectory;
    }

    /// <summary>Synchronous <see cref="EnsureAsync"/>, for console programs.</summary>
    public string Ensure() => EnsureAsync().GetAwaiter().GetResult();

    /// <summary>True when <paramref name="path"/> exists and its SHA-256 is <paramref name="sha256"/> (hex, any case).</summary>
    public static bool IsValid(string path, string sha256) =>
        File.Exists(path) && HashOf(File.ReadAllBytes(path)) == sha256.ToLowerInvariant();

    private async Task DownloadAsync(HttpClient http, string name, string path, string expected, CancellationToken ct)
    {
        var failures = new List<string>();
        Exception? last = null;
        foreach (var mirror in _mirrors)
        {
            var url = new Uri(mirror, name);
            try
            {
                using var response = await http.GetAsync(url, ct);
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"could not download {name} from {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                    continue;
                }
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                string actual = HashOf(bytes);
                if (actual != expected)
                {
                    failures.Add($"could not download {name} from {url}: SHA-256 mismatch ({bytes.Length} bytes hash to {actual}, expected {expected})");
                    continue;
                }
                AtomicFile.WriteAllBytes(path, bytes);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException
                                      || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                last = e;
                string reason = e is TaskCanceledException ? $"timed out after {Timeout.TotalSeconds:0.#} s" : Describe(e);
                failures.Add($"could not download {name} from {url}: {reason}");
            }
        }
        throw new DatasetDownloadException(
            $"{string.Join("; ", failures)}; copy the four files ({string.Join(", ", FileNames)}) into {CacheDirectory} or pass --data DIR", last);
    }

    private static string Describe(Exception e)
    {
        // HttpRequestException wraps the socket error ("Connection refused") one level down.
        var inner = e.InnerException;
        return inner is null || e.Message.Contains(inner.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({inner.Message})";
    }

    private static string HashOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
