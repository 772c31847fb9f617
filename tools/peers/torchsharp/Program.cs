// The Examples' MLPs in TorchSharp (LibTorch 2.10 CPU), for the side-by-side table of docs/BENCHMARKS.md: nn.Linear
// layers with their default initialization, CrossEntropyLoss, plain SGD, float32, shuffled mini-batches, Fashion-MNIST
// as x/255. Prints train samples/s (forward, backward and update only) per epoch and a final line, like mlp_torch.py.
//
//   dotnet run -c Release --project tools/peers/torchsharp -- NETWORK BATCH EPOCHS THREADS [data dir] [lr]
//   dotnet run -c Release --project tools/peers/torchsharp -- --probe      (does LibTorch load on this machine?)
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

if (args is ["--probe"])
{
    // run-table.sh asks first whether LibTorch loads here (it needs a libstdc++ with GLIBCXX_3.4.32, gcc 13 or newer).
    Console.WriteLine($"TorchSharp with LibTorch {torch.__version__}");
    return 0;
}
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: TorchSharpPeer NETWORK(mlp1|mlp2|deep) BATCH EPOCHS THREADS [data dir] [lr]");
    return 2;
}
string network = args[0];
int batch = int.Parse(args[1], CultureInfo.InvariantCulture);
int epochs = int.Parse(args[2], CultureInfo.InvariantCulture);
int threads = int.Parse(args[3], CultureInfo.InvariantCulture);
string root = args.Length > 4 ? args[4] : "/usr/share/datasets/fashion-mnist";
double lr = args.Length > 5 ? double.Parse(args[5], CultureInfo.InvariantCulture) : 0.05;
int[] sizes = network switch
{
    "mlp1" => [784, 10],
    "mlp2" => [784, 196, 10],
    "deep" => [784, 500, 200, 100, 30, 30, 30, 10],
    _ => throw new ArgumentException($"unknown network '{network}' (mlp1, mlp2, deep)"),
};

torch.set_num_threads(threads);
torch.manual_seed(1);
var (x, y) = (Images(root, "train-images"), Labels(root, "train-labels"));
var (xt, yt) = (Images(root, "t10k-images"), Labels(root, "t10k-labels"));
var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
for (int l = 0; l + 1 < sizes.Length; l++)
{
    layers.Add(($"fc{l + 1}", nn.Linear(sizes[l], sizes[l + 1])));
    if (l + 2 < sizes.Length) layers.Add(($"relu{l + 1}", nn.ReLU()));
}
var model = nn.Sequential(layers.ToArray());
var optimizer = optim.SGD(model.parameters(), lr);
var criterion = nn.CrossEntropyLoss();
long n = x.shape[0], trained = 0;
var clock = new Stopwatch();
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var before = clock.Elapsed;
    long epochTrained = 0;
    model.train();
    using (var perm = randperm(n))
        for (long i = 0; i + batch <= n; i += batch)
        {
            using var scope = NewDisposeScope();
            var rows = perm.narrow(0, i, batch);
            var (xb, yb) = (x.index_select(0, rows), y.index_select(0, rows));
            clock.Start();
            var loss = criterion.forward(model.forward(xb), yb);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            clock.Stop();
            epochTrained += batch;
        }
    trained += epochTrained;
    model.eval();
    long correct = 0;
    using (no_grad())
        for (long i = 0; i < xt.shape[0]; i += 1000)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(1000, xt.shape[0] - i);
            correct += model.forward(xt.narrow(0, i, count)).argmax(1).eq(yt.narrow(0, i, count)).sum().item<long>();
        }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"epoch {epoch}  test_accuracy {(double)correct / xt.shape[0]:F4}  train_samples_per_s {epochTrained / (clock.Elapsed - before).TotalSeconds:F0}"));
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"final model={network}-torchsharp train_samples_per_s={trained / clock.Elapsed.TotalSeconds:F0} epochs={epochs} batch={batch} threads={threads}"));
return 0;

// The IDX file whose name starts with `name`, gzipped or not: its dimensions and payload.
static (int[] Dims, byte[] Payload) Idx(string root, string name)
{
    string path = Directory.GetFiles(root).Where(f => Path.GetFileName(f).StartsWith(name, StringComparison.Ordinal)).Order().First();
    using var file = File.OpenRead(path);
    using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    byte[] data = memory.ToArray();
    int rank = data[3];
    var dims = Enumerable.Range(0, rank).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * i))).ToArray();
    return (dims, data[(4 + 4 * rank)..]);
}

static Tensor Images(string root, string name)
{
    var (dims, pixels) = Idx(root, name);
    int features = pixels.Length / dims[0];
    return tensor(pixels.Select(p => p / 255f).ToArray(), [dims[0], features]);
}

static Tensor Labels(string root, string name) => tensor(Idx(root, name).Payload.Select(b => (long)b).ToArray(), int64);
