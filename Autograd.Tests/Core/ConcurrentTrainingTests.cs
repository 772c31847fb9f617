using System.Numerics.Tensors;

namespace Autograd.Tests.Core;

/// <summary>Tapes, no-grad state and buffer pools are per thread: two threads training at once do not interfere.</summary>
public class ConcurrentTrainingTests
{
    private const int Steps = 200;

    /// <summary>
    /// Fits y = x·W + b to a random target by SGD on the squared error; returns W and b.
    /// With a barrier, both threads meet twice per step (after forward, after backward), so their tapes are
    /// full at the same moments and their ops interleave.
    /// </summary>
    private static (double[] Weights, double FirstLoss, double LastLoss) Train(ulong seed, Barrier? barrier)
    {
        var rng = new Rng(seed);
        var x = Tensor.Uniform<double>(new Shape(16, 8), -1, 1, rng);
        var target = Tensor.Uniform<double>(new Shape(16, 4), -1, 1, rng);
        var w = Tensor.Normal<double>(new Shape(8, 4), 0, 0.5, rng);
        var b = Tensor.Zeros<double>(4);
        w.RequiresGrad = b.RequiresGrad = true;
        var lr = 0.01;
        double first = 0, last = 0;
        for (int step = 0; step < Steps; step++)
        {
            using (TensorScope.Begin())
            {
                var diff = x.MatMul(w).Add(b).Sub(target);
                var loss = (diff * diff).Sum();
                barrier?.SignalAndWait();
                loss.Backward();
                barrier?.SignalAndWait();
                if (step == 0) first = loss.Item();
                last = loss.Item();
                using (Grad.NoGrad())
                {
                    TensorPrimitives.MultiplyAdd(w.Grad!.AsReadOnlySpan(), -lr, w.AsReadOnlySpan(), w.AsSpan());
                    TensorPrimitives.MultiplyAdd(b.Grad!.AsReadOnlySpan(), -lr, b.AsReadOnlySpan(), b.AsSpan());
                }
                w.ZeroGrad();
                b.ZeroGrad();
            }
        }
        return ([.. w.ToArray(), .. b.ToArray()], first, last);
    }

    [Test]
    public void TwoThreadsTrainingAtOnceMatchTheirSoloRunsBitwise()
    {
        var soloA = Train(1, null);
        var soloB = Train(2, null);
        Assert.That(soloA.LastLoss, Is.LessThan(soloA.FirstLoss / 2), "the model trains");
        Assert.That(soloA.Weights, Is.Not.EqualTo(soloB.Weights), "different data, different weights");

        using var barrier = new Barrier(2);
        (double[] Weights, double, double) a = default, b = default;
        Exception? errorA = null, errorB = null;
        var threadA = new Thread(() => { try { a = Train(1, barrier); } catch (Exception e) { errorA = e; barrier.RemoveParticipant(); } });
        var threadB = new Thread(() => { try { b = Train(2, barrier); } catch (Exception e) { errorB = e; barrier.RemoveParticipant(); } });
        threadA.Start(); threadB.Start();
        threadA.Join(); threadB.Join();

        Assert.That(errorA, Is.Null, errorA?.ToString());
        Assert.That(errorB, Is.Null, errorB?.ToString());
        Assert.That(Bits(a.Weights!), Is.EqualTo(Bits(soloA.Weights)), "thread A");
        Assert.That(Bits(b.Weights!), Is.EqualTo(Bits(soloB.Weights)), "thread B");
    }

    [Test]
    public void NoGradOnOneThreadDoesNotAffectAnother()
    {
        var x = Tensor.Ones<double>(2);
        x.RequiresGrad = true;
        bool otherRecorded = false;
        using (Grad.NoGrad())
        {
            var thread = new Thread(() =>
            {
                var y = Tensor.Ones<double>(2);
                y.RequiresGrad = true;
                otherRecorded = (y * y).RequiresGrad;
            });
            thread.Start();
            thread.Join();
            Assert.That((x * x).RequiresGrad, Is.False);
        }
        Assert.That(otherRecorded, Is.True);
    }

    private static long[] Bits(double[] v) => v.Select(BitConverter.DoubleToInt64Bits).ToArray();
}
