using System.Reflection;
using Autograd;
using Autograd.Nn;
using Autograd.Nn.Data;

// 1. The tape: d/dx Σ x² = 2x.
var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, requiresGrad: true);
(x * x).Sum().Backward();
double[] gradient = x.Grad!.ToArray();
if (!gradient.SequenceEqual(new[] { 2.0, 4.0, 6.0 }))
    return Fail($"the gradient of sum(x*x) at [1, 2, 3] is [{string.Join(", ", gradient)}], expected [2, 4, 6]");

// 2. A small network on the bundled digits, a few steps: the loss must fall.
var (train, _) = BundledDigits.Load<float>();
var rng = new Rng(seed: 1);
var model = new Sequential<float>(
    new Linear<float>(784, 64, rng: rng), new ReLU<float>(),
    new Linear<float>(64, 10, rng: rng));
var optimizer = new Sgd<float>(model.Parameters(), lr: 0.1, momentum: 0.9);

const int Steps = 30;
var losses = new List<double>();
foreach (var (batch, labels) in new DataLoader<float>(train, batchSize: 64, seed: 1).Epoch(0))
{
    using var step = TensorScope.Begin();
    var loss = model.Forward(batch).CrossEntropyLoss(labels);
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    losses.Add(loss.Item());
    if (losses.Count == Steps) break;
}
double first = losses[0], last = losses.TakeLast(5).Average();
Console.WriteLine($"loss over {losses.Count} steps: first {first:F4}, mean of the last 5 {last:F4}");
if (losses.Count < Steps || !double.IsFinite(last) || last > 0.6 * first)
    return Fail($"training did not reduce the loss (first {first:F4}, last five {last:F4}, {losses.Count} steps)");

Console.WriteLine($"package consumer: OK with {typeof(Tensor).Assembly.GetName().Name} {Version(typeof(Tensor))}, " +
                  $"{typeof(Module<float>).Assembly.GetName().Name} {Version(typeof(Module<float>))}");
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"package consumer: FAILED: {message}");
    return 1;
}

static string? Version(Type type) => type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
