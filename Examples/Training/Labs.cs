using Autograd.Nn;
using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>
/// The five course labs of LABS.md, rebuilt faithfully: each lab's preprocessing, network, loss, initialization and
/// hyperparameters. Where a notebook had a bug, the recipe keeps the lab's intent and the bug is impossible here
/// (one model object for training and testing, stable softmax, derivatives from the tape).
/// </summary>
internal static class Labs
{
    /// <summary>A Sequential of Linear layers with the given activations between them, every weight and bias drawn by <paramref name="init"/>.</summary>
    private static Sequential<float> Mlp(int[] sizes, Func<Module<float>> activation, Module<float>? output, Action<Tensor<float>, Rng> init, Rng rng, bool bias = true)
    {
        var net = new Sequential<float>();
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            var linear = new Linear<float>(sizes[l], sizes[l + 1], bias, rng);
            init(linear.Weight, rng);
            if (linear.Bias is { } b) init(b, rng);
            net.Add(linear);
            if (l + 2 < sizes.Length) net.Add(activation());
        }
        if (output is not null) net.Add(output);
        return net;
    }

    private static Action<Tensor<float>, Rng> Uniform(double a, double b) => (t, rng) => Init.Uniform(t, a, b, rng);
    private static Action<Tensor<float>, Rng> Normal(double mean, double std) => (t, rng) => Init.Normal(t, mean, std, rng);

    public static readonly Recipe L0a = new()
    {
        Name = "L0a",
        Description = "softmax regression 784→10, no bias, log-softmax + NLL, W ~ U(0,1), per-sample SGD lr 0.18",
        Model = (inputs, classes, rng) => Mlp([inputs, classes], () => new ReLU<float>(), new LogSoftmax<float>(), Uniform(0, 1), rng, bias: false),
        Loss = (output, batch) => output.NllLoss(batch.Labels),
        LearningRate = 0.18, BatchSize = 1, Epochs = 10,
        NotebookResult = "crashed before finishing (AttributeError)",
    };

    public static readonly Recipe L0b = new()
    {
        Name = "L0b",
        Description = "784→196 ReLU→10, log-softmax + NLL, W,b ~ U(−1,1), per-sample SGD lr 0.001",
        Model = (inputs, classes, rng) => Mlp([inputs, 196, classes], () => new ReLU<float>(), new LogSoftmax<float>(), Uniform(-1, 1), rng),
        Loss = (output, batch) => output.NllLoss(batch.Labels),
        LearningRate = 0.001, BatchSize = 1, Epochs = 10,
        NotebookResult = "test accuracy printed, value not kept",
    };

    private const float L1Epsilon = 1e-8f;

    // L1's output: softmax smoothed towards uniform, (1 − ε)·p + ε/n, which keeps log p finite.
    private static Tensor<float> SmoothedSoftmax(Tensor<float> logits) =>
        logits.Softmax().Mul(1 - L1Epsilon).Add(L1Epsilon / logits.Shape[-1]);

    private static Module<float> L1Network(int inputs, int classes, Rng rng) =>
        Mlp([inputs, 500, 200, 100, 30, 30, 30, classes], () => new ReLU<float>(), null, Normal(0, 0.1), rng);

    public static readonly Recipe L1 = new()
    {
        Name = "L1",
        Description = "deep 784→500→200→100→30→30→30→10 ReLU on raw 0..255 pixels, ε-smoothed softmax, cross-entropy, W,b ~ N(0, 0.1²), batch 1000, lr 0.01",
        Scale = PixelScale.Raw,
        Model = L1Network,
        // Categorical cross-entropy of the smoothed probabilities: −mean log p̃[label]. The softmax subtracts the row max,
        // so the notebook's exp overflow cannot happen.
        Loss = (output, batch) => SmoothedSoftmax(output).Log().NllLoss(batch.Labels),
        LearningRate = 0.01, BatchSize = 1000, Epochs = 20,
        NotebookResult = "overflow in exp after 2 epochs (28% accuracy)",
    };

    public static readonly Recipe L1Mse = L1 with
    {
        Name = "L1-mse",
        Description = "lab L1 with MSE on the smoothed softmax, lr 0.03, L2 weight decay wd = 0.05 on weights and biases (grad += 2·wd·w)",
        // Σ over classes of (p̃ − onehot)², mean over the batch.
        Loss = (output, batch) => SmoothedSoftmax(output).MseLoss(batch.OneHot(output.Shape[-1]), Reduction.Sum).Mul(1f / batch.Count),
        LearningRate = 0.03, WeightDecay = 2 * 0.05,
        NotebookResult = "85.4% test best, oscillating 78–85% over 20 epochs",
    };

    public static readonly Recipe L2 = new()
    {
        Name = "L2",
        Description = "784→30 sigmoid→10 sigmoid, quadratic cost ½‖a−y‖², per-pixel standardization, W,b ~ N(0,1), batch 100, η 0.2, L2 1e-4 on weights",
        Standardize = true,
        Model = (inputs, classes, rng) => Mlp([inputs, 30, classes], () => new Sigmoid<float>(), new Sigmoid<float>(), Normal(0, 1), rng),
        // ½‖a − y‖² summed over classes, mean over the batch: the notebook's "sum of gradients × η/batch".
        Loss = (output, batch) => output.MseLoss(batch.OneHot(output.Shape[-1]), Reduction.Sum).Mul(0.5f / batch.Count),
        // The notebook's "1e-4·batch·W" added to the summed gradient is (λ/2)·Σ W² with λ = 1e-4 on the mean loss.
        Regularize = model => L2Penalty(model, 1e-4),
        LearningRate = 0.2, BatchSize = 100, Epochs = 100,
        NotebookResult = "89.0% test at epoch 26, plateau",
    };

    private static Tensor<float> L2Penalty(Module<float> model, double lambda)
    {
        Tensor<float>? sum = null;
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!name.EndsWith("weight", StringComparison.Ordinal)) continue;
            var term = p.Square().Sum();
            sum = sum is null ? term : sum + term;
        }
        return sum!.Mul((float)(lambda / 2));
    }

    public static readonly Recipe L3 = new()
    {
        Name = "L3",
        Description = "784→20 ReLU→10 softmax cross-entropy, W,b ~ U(−0.5,0.5) seed 2, 90/10 train/validation split (seed 42), batch 630, lr 0.1",
        ValidationFraction = 0.1, ValidationSeed = 42,
        Model = (inputs, classes, rng) => Mlp([inputs, 20, classes], () => new ReLU<float>(), null, Uniform(-0.5, 0.5), rng),
        Loss = (output, batch) => output.CrossEntropyLoss(batch.Labels),
        LearningRate = 0.1, BatchSize = 630, Epochs = 20, Seed = 2,
        NotebookResult = "91.2% val at epoch 13",
    };

    private static Module<float> L4Network(int inputs, int classes, Rng rng, Module<float> output)
    {
        var net = Mlp([inputs, 64, classes], () => new Sigmoid<float>(), output, Uniform(-1, 1), rng);
        foreach (var (name, p) in net.NamedParameters())
            if (name.EndsWith("bias", StringComparison.Ordinal)) Init.Zeros(p);
        return net;
    }

    public static readonly Recipe L4 = new()
    {
        Name = "L4",
        Description = "CIFAR-10 3072→64 sigmoid→10 sigmoid, MSE, W ~ U(−1,1), b = 0, full-batch GD lr 0.1, 90/10 split",
        ValidationFraction = 0.1, ValidationSeed = 42,
        Model = (inputs, classes, rng) => L4Network(inputs, classes, rng, new Sigmoid<float>()),
        Loss = (output, batch) => output.MseLoss(batch.OneHot(output.Shape[-1])),
        LearningRate = 0.1, BatchSize = 0, Epochs = 100,
        NotebookResult = "not kept",
    };

    public static readonly Recipe L4Softmax = L4 with
    {
        Name = "L4-softmax",
        Description = "lab L4 (b): softmax output with the binary-cross-entropy-style loss −mean(y·log p + (1−y)·log(1−p)), trained and tested with the same model",
        Model = (inputs, classes, rng) => L4Network(inputs, classes, rng, new Softmax<float>()),
        Loss = (output, batch) => output.BceLoss(batch.OneHot(output.Shape[-1])),
    };

    public static readonly Recipe[] All = [L0a, L0b, L1, L1Mse, L2, L3, L4, L4Softmax];
}
