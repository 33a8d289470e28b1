namespace AutoVideo.DR.Recovery.Drills.Workload;

/// <summary>
/// A workload's writers: <paramref name="count"/> loops (numbered from 1) started together and
/// stopped together, their token cancelled and each awaited, so a ledger is complete once stopped.
/// </summary>
sealed class Writers(int count, Func<int, CancellationToken, Task> write) : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly List<Task> running = [];

    public void Start()
    {
        for (var i = 0; i < count; i++)
        {
            var writer = i + 1;
            running.Add(Task.Run(() => write(writer, stop.Token)));
        }
    }

    public async Task StopAsync()
    {
        if (!stop.IsCancellationRequested) await stop.CancelAsync();
        await Task.WhenAll(running);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
    }
}
