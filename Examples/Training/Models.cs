using Autograd.Examples.Networks;
using Autograd.Nn;

namespace Autograd.Examples.Training;

/// <summary>
/// Our recommended setups: He-initialized ReLU MLPs, softmax cross-entropy, Adam (lr 1e-3) with a cosine schedule,
/// batch 64. On Fashion-MNIST, 10 epochs, Adam beat SGD + momentum (lr 0.05) by 0.6–0.8 points; SGD stays one option away.
/// The CNNs train with SGD + momentum 0.9, lr 0.05 (with BatchNorm too: the README's results say why), cosine, batch 64.
/// </summary>
internal static class Models
{
    private static Tensor<float> CrossEntropyLoss(Tensor<float> output, Nn.Data.Batch<float> batch) => output.CrossEntropyLoss(batch.Labels);

    /// <summary>A ReLU MLP with the given layer sizes (input first, classes last), Kaiming-normal weights, zero biases.</summary>
    public static Sequential<float> Mlp(int[] sizes, Rng rng)
    {
        var net = new Sequential<float>();
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            var linear = new Linear<float>(sizes[l], sizes[l + 1], rng: rng);
            Init.KaimingNormal(linear.Weight, rng);
            Init.Zeros(linear.Bias!);
            net.Add(linear);
            if (l + 2 < sizes.Length) net.Add(new ReLU<float>());
        }
        return net;
    }

    private static Recipe MlpRecipe(string name, string description, int[] hidden, int batch, double lr, int epochs) => new()
    {
        Name = name,
        Description = description,
        Model = (inputs, classes, rng) => Mlp([inputs, .. hidden, classes], rng),
        Loss = CrossEntropyLoss,
        Optimizer = OptimizerKind.Adam,
        LearningRate = lr,
        BatchSize = batch,
        Epochs = epochs,
        CosineSchedule = true,
    };

    public static readonly Recipe Mlp1 = MlpRecipe("mlp1", "784→10 softmax regression", [], 64, 1e-3, 10);
    public static readonly Recipe Mlp2 = MlpRecipe("mlp2", "784→196 ReLU→10", [196], 64, 1e-3, 10);
    public static readonly Recipe Deep = MlpRecipe("deep", "784→500→200→100→30→30→30→10 ReLU", [500, 200, 100, 30, 30, 30], 64, 1e-3, 10);

    /// <summary>The default run of `train`: mlp2 on the bundled digits with SGD + momentum, quick and above 95% test accuracy.</summary>
    public static readonly Recipe Default = Mlp2 with { Optimizer = OptimizerKind.Sgd, Momentum = 0.9, LearningRate = 0.1, Epochs = 12 };

    /// <summary>The learning rate a recipe gets when --optimizer switches it to another optimizer and --lr is not given.</summary>
    public static double DefaultLearningRate(OptimizerKind optimizer) => optimizer == OptimizerKind.Adam ? 1e-3 : 0.05;

    public static readonly Recipe Residual = new()
    {
        Name = "residual",
        Description = "custom: 784→256, two residual blocks h + ReLU(Linear(h)), →10 (a skip connection no Sequential can express)",
        Model = (inputs, classes, rng) => new ResidualMlp(inputs, 256, classes, blocks: 2, rng),
        Loss = CrossEntropyLoss,
        Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, BatchSize = 64, Epochs = 10, CosineSchedule = true,
    };

    public static readonly Recipe TwoHeads = new()
    {
        Name = "twohead",
        Description = "custom: shared trunk 784→128 ReLU, a digit head (10) and a parity head (even/odd), loss = CE(digit) + 0.5·CE(parity)",
        Model = (inputs, classes, rng) => new TwoHeadMlp(inputs, 128, classes, rng),
        Loss = CrossEntropyLoss,
        Objective = (model, batch) => ((TwoHeadMlp)model).Objective(batch.X, batch.Labels, parityWeight: 0.5f),
        Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, BatchSize = 64, Epochs = 10, CosineSchedule = true,
    };

    /// <summary>
    /// The convolutional network of issue #13: conv3×3(C→32, pad 1) [BatchNorm2d] ReLU maxpool2, conv3×3(32→64, pad 1)
    /// [BatchNorm2d] ReLU maxpool2, flatten, linear 128 ReLU, linear to the classes, with PyTorch's default
    /// initializations. The flat features of a batch are unflattened to [N, C, S, S]: C and S come from the data
    /// (784 = 1·28² for MNIST-format images, 3072 = 3·32² for CIFAR-10).
    /// </summary>
    public static Sequential<float> Cnn(int inputs, int classes, bool batchNorm, Rng rng)
    {
        var (channels, side) = ImageShape(inputs);
        var net = new Sequential<float>(new Unflatten<float>(1, channels, side, side));
        int width = side;
        foreach (var (from, to) in new[] { (channels, 32), (32, 64) })
        {
            net.Add(new Conv2d<float>(from, to, kernelSize: 3, padding: 1, rng: rng));
            if (batchNorm) net.Add(new BatchNorm2d<float>(to));
            net.Add(new ReLU<float>());
            net.Add(new MaxPool2d<float>(2));
            width /= 2;
        }
        net.Add(new Flatten<float>());
        net.Add(new Linear<float>(64 * width * width, 128, rng: rng));
        net.Add(new ReLU<float>());
        net.Add(new Linear<float>(128, classes, rng: rng));
        return net;
    }

    /// <summary>(channels, side) of square images flattened to <paramref name="inputs"/> features: one channel, else three.</summary>
    public static (int Channels, int Side) ImageShape(int inputs)
    {
        foreach (int channels in new[] { 1, 3 })
        {
            int side = (int)Math.Round(Math.Sqrt(inputs / (double)channels));
            if (channels * side * side == inputs && side >= 4) return (channels, side);
        }
        throw new ArgumentException($"cnn: {inputs} features are not square images of 1 or 3 channels (such as 784 = 28·28 or 3072 = 3·32·32).");
    }

    public static readonly Recipe CnnRecipe = new()
    {
        Name = "cnn",
        Description = "conv3x3(C→32, pad 1) ReLU maxpool2, conv3x3(32→64, pad 1) ReLU maxpool2, flatten, linear 128 ReLU, linear 10",
        Model = (inputs, classes, rng) => Cnn(inputs, classes, batchNorm: false, rng),
        Loss = CrossEntropyLoss,
        Optimizer = OptimizerKind.Sgd, Momentum = 0.9, LearningRate = 0.05, BatchSize = 64, Epochs = 10, CosineSchedule = true,
    };

    public static readonly Recipe CnnBatchNorm = CnnRecipe with
    {
        Name = "cnn-bn",
        Description = "cnn with BatchNorm2d after each convolution",
        Model = (inputs, classes, rng) => Cnn(inputs, classes, batchNorm: true, rng),
    };

    public static readonly Recipe[] All = [Mlp1, Mlp2, Deep, Residual, TwoHeads, CnnRecipe, CnnBatchNorm];
}
