using Autograd.Nn;

namespace Autograd.Tests.Guide;

/// <summary>The samples of docs/guide/getting-started.md (GuideDocsTests checks the guide shows exactly these regions).</summary>
internal static class GettingStartedSamples
{
    public static Tensor<double> FirstGradient()
    {
        #region first-gradient
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        x.RequiresGrad = true;                  // a leaf the tape differentiates with respect to
        var y = (x * x).Sum();                  // y = Σ xᵢ², recorded as it runs
        y.Backward();                           // dy/dx into x.Grad
        Console.WriteLine(x.Grad);              // tensor([2., 4., 6.], shape=[3], dtype=float64): 2x
        #endregion
        return x.Grad!;
    }

    public static Linear<float> FitALine()
    {
        #region fit-a-line
        // 256 noisy samples of y = 3x − 1, and a Linear(1 → 1) that should find w = 3, b = −1.
        var rng = new Rng(seed: 42);
        var x = Tensor.Uniform<float>(new Shape(256, 1), -1, 1, rng);
        var y = x * 3f - 1f + Tensor.Normal<float>(new Shape(256, 1), 0, 0.05, rng);

        var model = new Linear<float>(1, 1, rng: rng);
        var optimizer = new Sgd<float>(model.Parameters(), lr: 0.1);
        for (int step = 0; step < 300; step++)
        {
            using var scope = TensorScope.Begin();    // everything the step creates is released at its end
            var loss = model.Forward(x).MseLoss(y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        Console.WriteLine($"w = {model.Weight.Item():F2}, b = {model.Bias!.Item():F2}");   // w = 3.00, b = -1.00
        #endregion
        return model;
    }
}
