using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Drills.Workload;

/// <summary>
/// A write workload shaped like the Auto Video System: writers sign users up, create video
/// projects and queue render jobs, one transaction per project. It goes through the multi-host
/// client connection string, so when the primary dies its writers keep retrying and resume on
/// whichever node becomes writable, without being restarted. Every acknowledged commit goes into
/// the ledger. Workloads against one database need distinct <paramref name="run"/> numbers: ids derive from it.
/// </summary>
public sealed class AutoVideoWorkload(string clientConnectionString, int writers, ILogger logger, int run = 0) : IAsyncDisposable
{
    readonly NpgsqlDataSource dataSource = new NpgsqlDataSourceBuilder(clientConnectionString).BuildMultiHost()
        .WithTargetSession(TargetSessionAttributes.ReadWrite);
    Writers? loops;

    public CommitLedger Ledger { get; } = new();

    public void Start() => (loops ??= new Writers(writers, WriteAsync)).Start();

    public Task StopAsync() => loops?.StopAsync() ?? Task.CompletedTask;

    async Task WriteAsync(int writer, CancellationToken ct)
    {
        long sequence = 0;
        long? userId = null;
        while (!ct.IsCancellationRequested)
        {
            sequence++;
            var id = (run * 100L + writer) * 1_000_000_000_000L + sequence;
            var rows = Rows(writer, id, sequence, ref userId);
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                var port = connection.Port;
                await using var transaction = await connection.BeginTransactionAsync(ct);
                foreach (var row in rows) await InsertAsync(connection, transaction, row, ct);
                try
                {
                    await transaction.CommitAsync(ct);
                }
                catch (Exception e) when (e is NpgsqlException or IOException)
                {
                    // COMMIT was sent; whether the server applied it is unknown. Its user may not exist: start a new one.
                    Ledger.InDoubt(rows);
                    userId = null;
                    continue;
                }
                Ledger.Acknowledge(new AcknowledgedCommit(id, DateTimeOffset.UtcNow, port, rows));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                // No server accepts writes right now (the disaster), or the user was lost with it
                // (a restore from a backup): retry soon, with a new user.
                Ledger.Failed();
                userId = null;
                logger.LogDebug("writer {Writer}: {Error}", writer, e.Message);
                try { await Task.Delay(10, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    static IReadOnlyList<WrittenRow> Rows(int writer, long id, long sequence, ref long? userId)
    {
        var now = Microseconds(DateTimeOffset.UtcNow);
        var rows = new List<WrittenRow>(4);
        if (userId is null || sequence % 20 == 0)
        {
            userId = id;
            rows.Add(new WrittenRow("users", id, $"creator{id}@autovideo.example|{(sequence % 3 == 0 ? "pro" : "free")}|{Timestamp(now)}"));
        }
        var fps = 24 + (int)(sequence % 3) * 6;
        // jsonb keeps keys ordered by length, then bytes; written in that order it reads back identically.
        var spec = $"{{\"fps\": {fps}, \"model\": \"avs-video-{writer}\", \"width\": 1280, \"height\": 720}}";
        rows.Add(new WrittenRow("video_projects", id, $"{userId}|project {sequence} of writer {writer}|{spec}|{Timestamp(now)}"));
        rows.Add(new WrittenRow("render_jobs", id * 10 + 1, $"{id}|queued|{fps * 10}|{Timestamp(now)}"));
        rows.Add(new WrittenRow("render_jobs", id * 10 + 2, $"{id}|queued|{fps * 20}|{Timestamp(now)}"));
        return rows;
    }

    static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, WrittenRow row, CancellationToken ct)
    {
        var parts = row.Content.Split('|');
        var sql = row.Table switch
        {
            "users" => "INSERT INTO users VALUES ($1, $2, $3, $4::timestamptz)",
            "video_projects" => "INSERT INTO video_projects VALUES ($1, $2::bigint, $3, $4::jsonb, $5::timestamptz)",
            _ => "INSERT INTO render_jobs VALUES ($1, $2::bigint, $3, $4::integer, $5::timestamptz)",
        };
        await using var insert = new NpgsqlCommand(sql, connection, transaction);
        insert.Parameters.AddWithValue(row.Id);
        foreach (var part in parts) insert.Parameters.Add(new NpgsqlParameter { Value = part, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync(ct);
    }

    static DateTimeOffset Microseconds(DateTimeOffset t) => new(t.Ticks - t.Ticks % 10, TimeSpan.Zero);

    /// <summary>The text PostgreSQL prints for a timestamptz in a UTC session (TimeZone=UTC is set per connection).</summary>
    static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.') + "+00";

    public async ValueTask DisposeAsync()
    {
        if (loops is not null) await loops.DisposeAsync();
        await dataSource.DisposeAsync();
    }
}
