using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Drills.Workload;

/// <summary>
/// A cache workload shaped like the Auto Video System's use of Redis (render-job state): writers SET
/// one key each time through clients' cache endpoint, which they look up again after every failure
/// (as a client following the environment's endpoint does), so when the cache primary dies they
/// resume on whichever node becomes the primary. Every SET the server answered OK goes into the
/// ledger as a one-row commit (table <see cref="Table"/>, id, value); a SET whose connection broke
/// before the answer is in doubt. The database workload's ledger stands beside it.
/// </summary>
public sealed class CacheWorkload(Func<CacheEndpoint?> endpoint, int writers, ILogger logger) : IAsyncDisposable
{
    /// <summary>The ledger's table name for cache writes.</summary>
    public const string Table = "redis";

    static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(2);
    Writers? loops;

    public CommitLedger Ledger { get; } = new();

    /// <summary>The key a write of <paramref name="id"/> went to.</summary>
    public static string Key(long id) => $"autovideo-dr:drill:render-job:{id}";

    public void Start() => (loops ??= new Writers(writers, WriteAsync)).Start();

    public Task StopAsync() => loops?.StopAsync() ?? Task.CompletedTask;

    async Task WriteAsync(int writer, CancellationToken ct)
    {
        long sequence = 0;
        RespConnection? connection = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                sequence++;
                var id = writer * 1_000_000_000_000L + sequence;
                var row = new WrittenRow(Table, id, $"render {sequence} of writer {writer}: queued");
                if (connection is null)
                {
                    try
                    {
                        connection = await RespConnection.OpenAsync(endpoint() ?? throw new RecoveryException("the environment names no cache endpoint"), ct, CommandTimeout);
                    }
                    catch (RecoveryException e)
                    {
                        Ledger.Failed();
                        logger.LogDebug("cache writer {Writer}: {Error}", writer, e.Message);
                        await PauseAsync(ct);
                        continue;
                    }
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(CommandTimeout);
                object? reply;
                try
                {
                    reply = (await connection.PipelineAsync([["SET", Key(id), row.Content]], timeout.Token))[0];
                }
                catch (Exception e) when (e is RecoveryException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    // SET was sent; whether the server applied it is unknown.
                    Ledger.InDoubt([row]);
                    await connection.DisposeAsync();
                    connection = null;
                    continue;
                }
                if (reply is RespError error)
                {
                    // A replica (READONLY) or a server still loading: look the endpoint up again.
                    Ledger.Failed();
                    logger.LogDebug("cache writer {Writer}: {Error}", writer, error.Message);
                    await connection.DisposeAsync();
                    connection = null;
                    await PauseAsync(ct);
                    continue;
                }
                Ledger.Acknowledge(new AcknowledgedCommit(id, DateTimeOffset.UtcNow, connection.Endpoint.Port, [row]));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    static async Task PauseAsync(CancellationToken ct)
    {
        try { await Task.Delay(10, ct); } catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (loops is not null) await loops.DisposeAsync();
    }
}
