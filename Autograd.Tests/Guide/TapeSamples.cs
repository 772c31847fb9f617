namespace Autograd.Tests.Guide;

/// <summary>The samples of docs/guide/tensors-and-the-tape.md.</summary>
internal static class TapeSamples
{
    public static (Tensor<double> ColumnSums, double Corner, Tensor<double> Row) Tensors()
    {
        #region tensors
        var a = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3);   // [[1, 2, 3], [4, 5, 6]]
        var b = Tensor.Arange<double>(0, 3);                                        // [0, 1, 2]
        var c = a + b;                          // broadcasting: b is added to every row
        var columnSums = c.Sum(axis: 0);        // [5, 9, 13]
        var gram = a.MatMul(a.Transpose());     // [2, 2]
        double corner = gram[1, 1];             // 4² + 5² + 6² = 77
        var row = a.Slice(1, 1).Reshape(3);     // a view of the second row: [4, 5, 6]
        #endregion
        return (columnSums, corner, row);
    }

    public static (double[] AfterOne, double[] AfterTwo, double[] AfterZeroGrad) Accumulation()
    {
        #region accumulation
        var w = Tensor.FromArray(new[] { 0.5, -1.0 });
        w.RequiresGrad = true;
        var x = Tensor.FromArray(new[] { 2.0, 3.0 });

        (w * x).Sum().Backward();
        double[] afterOne = w.Grad!.ToArray();        // [2, 3]
        (w * x).Sum().Backward();                     // a second graph: its gradient is added
        double[] afterTwo = w.Grad!.ToArray();        // [4, 6]
        w.ZeroGrad();                                 // what optimizer.ZeroGrad() does to every parameter
        double[] afterZeroGrad = w.Grad!.ToArray();   // [0, 0]
        #endregion
        return (afterOne, afterTwo, afterZeroGrad);
    }

    public static (Tensor<double> X, Tensor<double> H, Tensor<double> Loss2) RetainGraph()
    {
        #region retain-graph
        var x = Tensor.FromArray(new[] { 0.0, 1.0 });
        x.RequiresGrad = true;
        var h = x.Exp();                  // shared by both losses
        var loss1 = h.Sum();
        var loss2 = (h * h).Sum();
        loss1.Backward(retainGraph: true);   // keep h's node: loss2 still needs it
        loss2.Backward();                    // frees the nodes it ran
        // x.Grad = eˣ + 2e²ˣ; another loss2.Backward() would throw GraphFreedException naming Exp.
        #endregion
        return (x, h, loss2);
    }

    public static (bool RecordedInside, bool DetachedRequiresGrad, Tensor<double> W) NoGradAndDetach()
    {
        #region no-grad
        var w = Tensor.FromArray(new[] { 2.0, -1.0 });
        w.RequiresGrad = true;
        var x = Tensor.FromArray(new[] { 1.0, 3.0 });

        bool recordedInside;
        using (Grad.NoGrad())                // evaluation, metrics: nothing is recorded, nothing is kept
            recordedInside = (w * x).RequiresGrad;                  // false

        var prediction = w * x;
        var target = prediction.Detach() + 1.0;                     // same values, no graph: a constant
        bool detachedRequiresGrad = target.RequiresGrad;            // false
        (prediction - target).Square().Sum().Backward();            // w.Grad = 2·(−1)·x = [−2, −6]
        #endregion
        return (recordedInside, detachedRequiresGrad, w);
    }

    public static (Tensor<double> Hidden, Tensor<double> Kept, Tensor<double> Zeros, Tensor<double> FromArray) Scope()
    {
        #region scope
        var x = Tensor.FromArray(new[] { 0.0, 1.0, 2.0 });
        Tensor<double> hidden, kept, zeros, fromArray;
        using (var scope = TensorScope.Begin())
        {
            hidden = x.Exp();                       // an op result: pooled storage, released when the scope ends
            kept = scope.Keep(hidden.Sum());        // taken out of the scope: it survives (values only, no graph)
            zeros = Tensor.Zeros<double>(3);        // Zeros, Ones, Full, Empty and Clone are pooled in a scope too
            fromArray = Tensor.FromArray(new[] { 1.0, 2.0 });   // FromArray, Uniform, Normal, Arange never are
        }
        // hidden.IsDisposed and zeros.IsDisposed are true (reading them throws ObjectDisposedException);
        // kept.Item() is 1 + e + e², and fromArray lives on like any object.
        #endregion
        return (hidden, kept, zeros, fromArray);
    }

    public static double Newton()
    {
        #region newton
        // Newton's method on f(x) = eˣ − 2x, whose minimum is at x = ln 2: f′ and f″ both come from the tape.
        double x0 = 0;
        for (int i = 0; i < 6; i++)
        {
            var x = Tensor.Scalar(x0);
            x.RequiresGrad = true;
            var f = x.Exp() - x * 2.0;
            f.Backward(createGraph: true);           // x.Grad is itself recorded: a function of x
            var d1 = x.Grad!;                        // f′(x) = eˣ − 2
            var d2 = Functional.Grad(d1, x);         // f″(x) = eˣ
            x0 -= d1.Item() / d2.Item();
        }
        Console.WriteLine(x0);                       // 0.6931471805599453
        #endregion
        return x0;
    }

    public static (Tensor<double> W, Tensor<double> X, Func<double> Penalty) GradientPenalty()
    {
        #region gradient-penalty
        // A gradient penalty (as in WGAN-GP or input-gradient regularization): the loss is a function of ∂y/∂x.
        var w = Tensor.FromArray(new[] { 1.0, -2.0 });
        w.RequiresGrad = true;
        var x = Tensor.FromArray(new[] { 0.5, 1.5 });
        x.RequiresGrad = true;

        var y = (w * x).Tanh().Sum();
        var dydx = Functional.Grad(y, x, createGraph: true);    // recorded, so it can be differentiated again
        var penalty = dydx.Square().Sum();                      // ‖∂y/∂x‖²
        penalty.Backward();                                     // into w.Grad (and x.Grad), as for any loss
        #endregion
        double PenaltyAt()
        {
            using var _ = Grad.NoGrad();
            var t = (w * x).Tanh();
            var g = w * (1.0 - t * t);
            return g.Square().Sum().Item();
        }
        return (w, x, PenaltyAt);
    }

    public static (Tensor<double> Jacobian, Tensor<double> Hessian, Tensor<double> Jv, Tensor<double> Vj, Tensor<double> S) FunctionalApi()
    {
        #region functional
        var z = Tensor.FromArray(new[] { 1.0, 2.0, 0.5 });
        var e0 = Tensor.FromArray(new[] { 1.0, 0.0, 0.0 });

        var jacobian = Functional.Jacobian(v => v.Softmax(), z);          // [3, 3]: diag(s) − s·sᵀ
        var hessian = Functional.Hessian(v => v.Exp().Sum().Log(), z);    // log-sum-exp: the same matrix
        var (s, jv) = Functional.Jvp(v => v.Softmax(), z, e0);            // J·e₀, column 0 of the Jacobian
        var (_, vj) = Functional.Vjp(v => v.Softmax(), z, e0);            // e₀ᵀ·J, row 0
        #endregion
        return (jacobian, hessian, jv, vj, s);
    }
}
