namespace Autograd.Examples.Reporting;

/// <summary>
/// A one-line progress bar on standard error, redrawn in place. It stays silent when standard error is not a
/// terminal (CI logs, pipes), so the per-epoch lines on standard output are all that tools have to read.
/// </summary>
internal sealed class ProgressBar
{
    private const int Width = 30;
    private readonly string _label;
    private readonly int _total;
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private int _lastDrawnCell = -1;

    public ProgressBar(string label, int total) { _label = label; _total = Math.Max(1, total); }

    public void Report(int done, double loss)
    {
        if (!_enabled) return;
        int cell = (int)((long)done * Width / _total);
        if (cell == _lastDrawnCell && done != _total) return;   // redraw only when the bar moves
        _lastDrawnCell = cell;
        Console.Error.Write($"\r{_label} [{new string('#', cell)}{new string('.', Width - cell)}] {done}/{_total} loss {loss:F4} ");
    }

    public void Finish()
    {
        if (_enabled) Console.Error.Write("\r" + new string(' ', _label.Length + Width + 40) + "\r");
    }
}
