namespace Autograd.Kernels;

/// <summary>
/// The shapes of one 2-D convolution in PyTorch's layout: input x [N, C, H, W], weight [O, C/groups, kH, kW],
/// bias [O], output y [N, O, OH, OW], all row-major and contiguous. Channels are split into <see cref="Groups"/>
/// equal groups; output channels g·O/groups … (g+1)·O/groups − 1 see only input channels g·C/groups … of their group.
/// A 1-D convolution is the case H = kH = 1 (stride, padding and dilation of height 1, 0 and 1).
/// The kernels assume the geometry is valid (see <see cref="IsValid"/>): the ops check it and name themselves.
/// </summary>
internal readonly struct ConvGeometry
{
    public readonly int Batch, InChannels, InHeight, InWidth;
    public readonly int OutChannels, KernelHeight, KernelWidth;
    public readonly int StrideHeight, StrideWidth, PadHeight, PadWidth, DilationHeight, DilationWidth;
    public readonly int Groups;
    public readonly int OutHeight, OutWidth;

    public ConvGeometry(int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width) dilation, int groups)
    {
        Batch = batch; InChannels = inChannels; InHeight = inHeight; InWidth = inWidth;
        OutChannels = outChannels; KernelHeight = kernelHeight; KernelWidth = kernelWidth;
        (StrideHeight, StrideWidth) = stride; (PadHeight, PadWidth) = padding; (DilationHeight, DilationWidth) = dilation;
        Groups = groups;
        OutHeight = OutputSize(inHeight, kernelHeight, stride.Height, padding.Height, dilation.Height);
        OutWidth = OutputSize(inWidth, kernelWidth, stride.Width, padding.Width, dilation.Width);
    }

    /// <summary>
    /// Output length along one axis, ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1 (PyTorch's formula),
    /// or 0 when the dilated kernel is longer than the padded input. Shared by convolution and pooling.
    /// </summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, int dilation)
    {
        long span = (long)input + 2L * padding - (long)dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }

    /// <summary>Positive sizes, channels divisible by the groups, a non-negative padding and an output of at least 1×1.</summary>
    public bool IsValid =>
        Batch >= 0 && InChannels > 0 && InHeight > 0 && InWidth > 0 && OutChannels > 0 && KernelHeight > 0 && KernelWidth > 0 &&
        StrideHeight > 0 && StrideWidth > 0 && PadHeight >= 0 && PadWidth >= 0 && DilationHeight > 0 && DilationWidth > 0 &&
        Groups > 0 && InChannels % Groups == 0 && OutChannels % Groups == 0 && OutHeight > 0 && OutWidth > 0;

    public int InChannelsPerGroup => InChannels / Groups;
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Rows of one group's column matrix, (C/groups)·kH·kW: the inner dimension of every product.</summary>
    public int PatchLength => InChannelsPerGroup * KernelHeight * KernelWidth;

    public int InPlane => InHeight * InWidth;
    public int OutPlane => OutHeight * OutWidth;
    public int PaddedHeight => InHeight + 2 * PadHeight;
    public int PaddedWidth => InWidth + 2 * PadWidth;

    /// <summary>A padded copy of one group's input planes, [C/groups, H + 2·pH, W + 2·pW]; not needed without padding.</summary>
    public int PaddedGroupLength => PadHeight == 0 && PadWidth == 0 ? 0 : InChannelsPerGroup * PaddedHeight * PaddedWidth;

    /// <summary>
    /// 1×1 kernel, stride 1, no padding: a group's input planes already are its column matrix [C/groups, H·W]
    /// (dilation has no effect on a 1×1 kernel).
    /// </summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadHeight == 0 && PadWidth == 0;

    public int InputLength => Batch * InChannels * InPlane;
    public int WeightLength => OutChannels * PatchLength;
    public int OutputLength => Batch * OutChannels * OutPlane;

    /// <summary>Multiply-adds of the forward product, which each backward product repeats: N·O·OH·OW·(C/groups)·kH·kW.</summary>
    public long MultiplyAdds => (long)Batch * OutChannels * OutPlane * PatchLength;

    public override string ToString() =>
        $"x [{Batch}, {InChannels}, {InHeight}, {InWidth}], weight [{OutChannels}, {InChannelsPerGroup}, {KernelHeight}, {KernelWidth}], " +
        $"stride ({StrideHeight}, {StrideWidth}), padding ({PadHeight}, {PadWidth}), dilation ({DilationHeight}, {DilationWidth}), " +
        $"groups {Groups} → y [{Batch}, {OutChannels}, {OutHeight}, {OutWidth}]";
}
