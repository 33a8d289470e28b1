using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>A synchronous IProgress: Progress&lt;T&gt; posts to the thread pool, too late to act at a chosen point or to see every report in order.</summary>
sealed class ImmediateProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
{
    public void Report(TransferProgress value) => report(value);
}
