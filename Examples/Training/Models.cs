using Autograd.Examples.Networks;
using Autograd.Nn;

namespace Autograd.Examples.Training;

/// <summary>
/// Our recommended setups: He-initialized ReLU MLPs, softmax cross-entropy, Adam (lr 1e-3) with a cosine schedule,
/// batch 64. On Fashion-MNIST, 10 epochs, Adam beat SGD + momentum (lr 0.05) by 0.6–0.8 points; SGD stays one option away.
/// </summary>
internal static class Models
{
    private static Tensor<float> CrossEntropy(Tensor<float> output, Nn.Data.Batch<float> batch) => output.CrossEntropy(batch.Labels);

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
        Loss = CrossEntropy,
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
        Loss = CrossEntropy,
        Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, BatchSize = 64, Epochs = 10, CosineSchedule = true,
    };

    public static readonly Recipe TwoHeads = new()
    {
        Name = "twohead",
        Description = "custom: shared trunk 784→128 ReLU, a digit head (10) and a parity head (even/odd), loss = CE(digit) + 0.5·CE(parity)",
        Model = (inputs, classes, rng) => new TwoHeadMlp(inputs, 128, classes, rng),
        Loss = CrossEntropy,
        Objective = (model, batch) => ((TwoHeadMlp)model).Objective(batch.X, batch.Labels, parityWeight: 0.5f),
        Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, BatchSize = 64, Epochs = 10, CosineSchedule = true,
    };

    public static readonly Recipe[] All = [Mlp1, Mlp2, Deep, Residual, TwoHeads];
}
