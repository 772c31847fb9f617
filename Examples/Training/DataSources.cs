using Autograd.Nn.Data;

namespace Autograd.Examples.Training;

/// <summary>A training set, a set to report as "test" each epoch, and the held-out test set for the final figure.</summary>
internal sealed record PreparedData(string Source, Dataset<float> Train, Dataset<float> Eval, string EvalName, Dataset<float> Test, int Classes);

/// <summary>Finds and prepares the data a recipe asks for: bundled digits, an MNIST-format folder, full MNIST or CIFAR-10.</summary>
internal static class DataSources
{
    /// <summary>
    /// <paramref name="data"/>: null = the bundled 10,000 digits; "mnist" = full MNIST (downloaded once into the user cache);
    /// a folder = MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST) or CIFAR-10 binary batches, detected by content.
    /// </summary>
    public static PreparedData Load(string? data, Recipe recipe)
    {
        var (source, train, test) = LoadRaw(data, recipe.Scale);
        if (recipe.Standardize)
        {
            var standardizer = Standardizer<float>.Fit(train);
            train = standardizer.Transform(train);
            test = standardizer.Transform(test);
        }
        var eval = test;
        string evalName = "test";
        if (recipe.ValidationFraction is double fraction)
        {
            (train, eval) = train.Split(1 - fraction, recipe.ValidationSeed);
            evalName = "val";
        }
        int classes = Math.Max(train.Labels.Max(), test.Labels.Max()) + 1;
        return new PreparedData(source, train, eval, evalName, test, Math.Max(classes, 2));
    }

    private static (string Source, Dataset<float> Train, Dataset<float> Test) LoadRaw(string? data, PixelScale scale)
    {
        if (data is null)
        {
            var (train, test) = BundledDigits.Load<float>(scale);
            return ("bundled digits (8,000 train / 2,000 test)", train, test);
        }
        if (data.Equals("mnist", StringComparison.OrdinalIgnoreCase))
        {
            var (train, test) = Mnist.Load<float>(null, scale);
            return ("MNIST (downloaded)", train, test);
        }
        if (!Directory.Exists(data))
            throw new DirectoryNotFoundException($"--data: '{data}' is not a folder (give a folder of MNIST-format IDX files or CIFAR-10 binary batches, or 'mnist').");
        if (LooksLikeCifar(data))
        {
            var (train, test) = Cifar10Reader.LoadDirectory(data);
            return ($"CIFAR-10 ({data})", Dataset<float>.FromCifar10(train, scale), Dataset<float>.FromCifar10(test, scale));
        }
        var (mtrain, mtest) = Mnist.LoadDirectory<float>(data, scale);
        return ($"IDX folder {data}", mtrain, mtest);
    }

    private static bool LooksLikeCifar(string dir) =>
        File.Exists(Path.Combine(dir, "data_batch_1.bin")) || Directory.Exists(Path.Combine(dir, "cifar-10-batches-bin"));
}
