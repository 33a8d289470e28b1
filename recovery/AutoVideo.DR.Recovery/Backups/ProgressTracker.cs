namespace AutoVideo.DR.Recovery.Backups;

/// <summary>Thread-safe counters behind <see cref="TransferProgress"/>, reported at most ten times a second.</summary>
internal sealed class ProgressTracker(string phase, long bytesTotal, int tablesTotal, IProgress<TransferProgress>? progress)
{
    long bytes;
    int tables;
    long lastReport;

    public void Bytes(long count)
    {
        Interlocked.Add(ref bytes, count);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastReport);
        if (now - last >= 100 && Interlocked.CompareExchange(ref lastReport, now, last) == last) Report();
    }

    public void TableDone()
    {
        Interlocked.Increment(ref tables);
        Report();
    }

    public void Report() => progress?.Report(new TransferProgress(phase, Interlocked.Read(ref bytes), bytesTotal, Volatile.Read(ref tables), tablesTotal));
}
