using AutoVideo.DR.Recovery.Environments;
using System.Collections.Concurrent;
using System.IO.Compression;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>How a backup runs: parallel table copies (0: one per processor, at least 2) and where progress goes.</summary>
public sealed record BackupOptions(int Parallelism = 0, IProgress<TransferProgress>? Progress = null, IReadOnlyList<ISystemPartCapture>? SystemParts = null);

/// <summary>
/// Takes a backup of one database into a store from one consistent snapshot: a control transaction
/// (REPEATABLE READ, READ ONLY) exports its snapshot; pg_dump and parallel workers import it, so
/// every part shows the same instant, on a primary or a hot standby alike. Each part is compressed,
/// hashed and streamed straight into the store. The manifest is written last: until it exists the
/// backup is not in the catalog, so an interrupted backup never looks complete.
/// </summary>
public sealed class BackupWriter(ILogger<BackupWriter> logger)
{
    public async Task<BackupManifest> BackupAsync(string sourceConnectionString, IBackupStore store, BackupOptions options, CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        await using var control = await BackupSession.OpenAsync(sourceConnectionString, "source", ct);
        try
        {
            return await BackupAsync(control, sourceConnectionString, store, options, startedAt, ct);
        }
        catch (NpgsqlException e)
        {
            throw new RecoveryException($"backup of {DatabaseConnection.Describe(sourceConnectionString)} failed: {DatabaseConnection.Message(e)}", e);
        }
    }

    async Task<BackupManifest> BackupAsync(NpgsqlConnection control, string source, IBackupStore store, BackupOptions options, DateTimeOffset startedAt, CancellationToken ct)
    {
        await Execute(control, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ct);
        string snapshotId, lsn, version;
        bool inRecovery;
        DateTimeOffset snapshotTime;
        int versionNumber;
        await using (var point = new NpgsqlCommand("""
            SELECT pg_export_snapshot(), pg_is_in_recovery(),
                   (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
                   clock_timestamp(), current_setting('server_version'), current_setting('server_version_num')::int
            """, control))
        await using (var reader = await point.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (snapshotId, inRecovery, lsn, snapshotTime, version, versionNumber) =
                (reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetInt32(5));
        }
        var inventory = await SourceInventory.ReadAsync(control, ct);
        // As pg_dump does: hold every table for the backup's length, so a concurrent DROP or ALTER
        // waits (or fails this backup at once) instead of breaking it half-way. ACCESS SHARE is
        // allowed on a hot standby and blocks no reads or writes.
        foreach (var batch in inventory.Tables.Chunk(500))
            await Execute(control, $"LOCK TABLE {string.Join(", ", batch.Select(t => "ONLY " + t.QualifiedName))} IN ACCESS SHARE MODE", ct);
        var catalog = new BackupCatalog(store);
        var name = await catalog.ClaimAsync(startedAt, ct);
        logger.LogInformation("Backup {Name} of {Source} ({Role}) at LSN {Lsn}: {Tables} tables", name, DatabaseConnection.Describe(source), (inRecovery ? NodeRole.Standby : NodeRole.Primary).Name(), lsn, inventory.Tables.Count);

        var parts = new ConcurrentBag<BackupPart>();
        var tables = new ConcurrentBag<TableEntry>();
        var tracker = new ProgressTracker("backup", inventory.Tables.Sum(t => t.Bytes), inventory.Tables.Count, options.Progress);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failure.Token;

        async Task Guard(Func<Task> work)
        {
            try { await work(); }
            catch { failure.Cancel(); throw; }
        }

        var queue = new ConcurrentQueue<(SourceTable Table, int Index)>(inventory.Tables.Select((t, i) => (t, i + 1)));
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(Parallelism(options), inventory.Tables.Count)))
            .Select(_ => Guard(async () =>
            {
                await using var connection = await BackupSession.OpenAsync(source, "source", token);
                await Execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", token);
                await Execute(connection, $"SET TRANSACTION SNAPSHOT '{snapshotId}'", token);
                while (queue.TryDequeue(out var item))
                {
                    var (part, table) = await CopyTableAsync(connection, store, name, item.Table, item.Index, tracker, token);
                    parts.Add(part);
                    tables.Add(table);
                    tracker.TableDone();
                }
                await Execute(connection, "COMMIT", token);
            }))
            .ToList();
        var schema = new[] { BackupPart.PreData, BackupPart.PostData }
            .Select(section => Guard(async () =>
            {
                var script = await SchemaScript.DumpAsync(source, snapshotId, section.Replace("schema-", ""), token);
                parts.Add(await WritePartAsync(store, name, $"{BackupPart.Folder}{section}.sql.gz", section, (s, t) => s.WriteAsync(script, t).AsTask(), token));
            }))
            .ToList();
        // The control connection holds the snapshot open for the others; it copies the large objects meanwhile.
        LargeObjectsEntry largeObjects = new(null, 0, "");
        var lobs = Guard(async () =>
        {
            var (count, fingerprint) = await TableFingerprint.OfLargeObjectsAsync(control, token);
            string? path = null;
            if (count > 0)
            {
                path = $"{BackupPart.Folder}large-objects.bin.gz";
                parts.Add(await WritePartAsync(store, name, path, BackupPart.LargeObjects, (s, t) => LargeObjectArchive.WriteAsync(control, s, t), token));
            }
            largeObjects = new LargeObjectsEntry(path, count, fingerprint);
        });
        // The system's other parts (Redis, media inventories), from this moment, beside the copies.
        var captures = new ConcurrentBag<SystemPartCapture>();
        var others = (options.SystemParts ?? []).Select(p => Guard(async () => captures.Add(await p.CaptureAsync(name, snapshotTime, store, token)))).ToList();
        await WhenAllOrFirstFailure([.. workers, .. schema, lobs, .. others]);
        foreach (var part in captures.SelectMany(c => c.Parts)) parts.Add(part);
        await Execute(control, "COMMIT", ct);

        var manifest = new BackupManifest(
            BackupManifest.CurrentFormat, name, startedAt, DateTimeOffset.UtcNow,
            SourceOf(source, inRecovery, version, versionNumber),
            new SnapshotPoint(lsn, snapshotTime),
            inventory.Schemas,
            parts.OrderBy(p => p.Path, StringComparer.Ordinal).ToList(),
            tables.OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal).ToList(),
            inventory.Sequences,
            inventory.MaterializedViews,
            largeObjects,
            captures.Select(c => c.Cache).OfType<CacheEntry>().SingleOrDefault(),
            captures.Select(c => c.Media).OfType<MediaEntry>().OrderBy(m => m.Bucket, StringComparer.Ordinal).ToList() is { Count: > 0 } media ? media : null);
        // Last, and only now: the manifest is what makes the backup visible and complete.
        await catalog.CompleteAsync(manifest, ct);
        logger.LogInformation("Backup {Name} complete: {Parts} parts, {Bytes} bytes", name, manifest.Parts.Count, manifest.TotalSize);
        return manifest;
    }

    /// <summary>Copies one table into its part, fingerprinting the rows from the same bytes on the way.</summary>
    async Task<(BackupPart, TableEntry)> CopyTableAsync(NpgsqlConnection connection, IBackupStore store, string name, SourceTable table, int index, ProgressTracker tracker, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var path = $"{BackupPart.Folder}data/{index:D4}-{SafeFileName(table.DisplayName)}.copy.gz";
        var fingerprint = new RowFingerprint();
        var part = await WritePartAsync(store, name, path, BackupPart.TableData, async (output, token) =>
        {
            using var copy = await connection.BeginTextExportAsync(TableFingerprint.CopyOut(table.QualifiedName, table.Columns), token);
            await CopyText.ToBytesAsync(copy, output, bytes => { fingerprint.Append(bytes.Span); tracker.Bytes(bytes.Length); }, token);
        }, ct);
        logger.LogDebug("{Table}: {Rows} rows, {Bytes} bytes stored in {Seconds:0.00} s", table.DisplayName, fingerprint.Rows, part.Size, clock.Elapsed.TotalSeconds);
        return (part, new TableEntry(table.Schema, table.Name, table.Columns, path, fingerprint.Rows, fingerprint.Value));
    }

    /// <summary>Writes one gzip-compressed part, hashing the stored bytes on their way to the store.</summary>
    internal static async Task<BackupPart> WritePartAsync(IBackupStore store, string name, string path, string kind, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var sha = "";
        long hashed = 0;
        var size = await store.WriteAsync($"{name}/{path}", async (sink, token) =>
        {
            await using var digest = new DigestStream(sink, leaveOpen: true);
            await using (var gzip = new GZipStream(digest, CompressionLevel.Fastest, leaveOpen: true))
                await write(gzip, token);
            hashed = digest.Count;
            sha = digest.Sha256();
        }, ct);
        if (size != hashed)
            throw new RecoveryException($"{store.Location}: stored {size} bytes for {name}/{path} but wrote {hashed}");
        return new BackupPart(path, kind, size, sha);
    }

    static async Task WhenAllOrFirstFailure(IReadOnlyList<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other workers.
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }
    }

    static BackupSource SourceOf(string source, bool inRecovery, string version, int versionNumber)
    {
        var b = new NpgsqlConnectionStringBuilder(source);
        return new BackupSource(b.Host ?? "", b.Port, b.Database ?? "", inRecovery ? NodeRole.Standby : NodeRole.Primary, version, versionNumber);
    }

    static int Parallelism(BackupOptions options) => options.Parallelism > 0 ? options.Parallelism : Math.Max(2, Environment.ProcessorCount);

    static string SafeFileName(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_').ToArray());
        return safe.Length > 60 ? safe[..60] : safe;
    }

    static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
