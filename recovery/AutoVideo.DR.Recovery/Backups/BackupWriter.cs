using AutoVideo.DR.Recovery.Environments;
using System.Collections.Concurrent;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// How a backup runs: parallel copies (0: one per processor, at least 2), the parts' compression,
/// the size on disk above which a table is split into page ranges (0: chosen from the database's
/// size so that every worker has work), where progress goes, and the system's other parts to capture.
/// </summary>
public sealed record BackupOptions(int Parallelism = 0, IProgress<TransferProgress>? Progress = null, PartCompression? Compression = null, long RangeBytes = 0, IReadOnlyList<ISystemPartCapture>? SystemParts = null);

/// <summary>
/// Takes a backup of one database into a store from one consistent snapshot: a control transaction
/// (REPEATABLE READ, READ ONLY) exports its snapshot; pg_dump and parallel workers import it, so
/// every part shows the same instant, on a primary or a hot standby alike. Big tables are split into
/// page ranges (ctid, a TID range scan) copied by several workers at once, so one big table does not
/// leave the other cores idle. Each part is compressed, hashed and streamed straight into the store.
/// The manifest is written last: until it exists the backup is not in the catalog, so an interrupted
/// backup never looks complete.
/// </summary>
public sealed class BackupWriter(ILogger<BackupWriter> logger)
{
    /// <summary>Ranges no smaller than this (on disk), so a part's fixed cost stays small beside its data.</summary>
    const long MinimumRangeBytes = 16L << 20;

    public async Task<BackupManifest> BackupAsync(string sourceConnectionString, IBackupStore store, BackupOptions options, CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        // Start-up counts at every size: the control and worker connections open at once. The
        // workers only read COPY out, on libpq (see LibPqSession: Npgsql costs 3x the CPU per row).
        var control = BackupSession.OpenAsync(sourceConnectionString, "source", ct);
        var opening = Enumerable.Range(0, Parallelism(options)).Select(_ => BackupSession.OpenCopyAsync(sourceConnectionString, "source", ct)).ToList();
        try
        {
            await Task.WhenAll([control, .. opening]);
            // Claimed once the source answers, so an unreachable database leaves no claimed folder behind.
            var name = await new BackupCatalog(store).ClaimAsync(startedAt, ct);
            return await BackupAsync(control.Result, opening.Select(o => o.Result).ToList(), sourceConnectionString, store, name, options, startedAt, ct);
        }
        catch (NpgsqlException e)
        {
            throw new RecoveryException($"backup of {DatabaseConnection.Describe(sourceConnectionString)} failed: {DatabaseConnection.Message(e)}", e);
        }
        finally
        {
            if (control.IsCompletedSuccessfully) await control.Result.DisposeAsync();
            foreach (var open in opening.Where(o => o.IsCompletedSuccessfully)) open.Result.Dispose();
        }
    }

    /// <summary>One unit of a worker's work, written into one part.</summary>
    internal abstract record CopyJob(long Bytes);

    /// <summary>A table, or one page range of it ([From, To) pages; To null: to the end).</summary>
    internal sealed record TableJob(SourceTable Table, int Index, int Range, int Ranges, long From, long? To, long Bytes) : CopyJob(Bytes);

    /// <summary>Small tables copied one after another into one part, each a slice of it.</summary>
    internal sealed record PackJob(int Number, IReadOnlyList<SourceTable> Tables, long Bytes) : CopyJob(Bytes);

    async Task<BackupManifest> BackupAsync(NpgsqlConnection control, IReadOnlyList<LibPqSession> workerSessions, string source, IBackupStore store, string name, BackupOptions options, DateTimeOffset startedAt, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var compression = options.Compression ?? PartCompression.Default;
        await DatabaseConnection.ExecuteAsync(control, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ct);
        string snapshotId, lsn, version;
        bool inRecovery;
        DateTimeOffset snapshotTime;
        DateTimeOffset? replayedCommit;
        int versionNumber;
        // On a standby the data is as old as the last commit it replayed, whatever the clock says.
        await using (var point = new NpgsqlCommand("""
            SELECT pg_export_snapshot(), pg_is_in_recovery(),
                   (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
                   clock_timestamp(), current_setting('server_version'), current_setting('server_version_num')::int,
                   CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END
            """, control))
        await using (var reader = await point.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (snapshotId, inRecovery, lsn, snapshotTime, version, versionNumber) =
                (reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetInt32(5));
            replayedCommit = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6);
        }
        var snapshot = replayedCommit is { } commit
            ? new SnapshotPoint(lsn, commit, SnapshotTimeBasis.LastReplayedCommit)
            : new SnapshotPoint(lsn, snapshotTime, SnapshotTimeBasis.Clock);
        logger.LogDebug("Snapshot exported at {Seconds:0.000} s", clock.Elapsed.TotalSeconds);
        var parts = new ConcurrentBag<BackupPart>();
        var ranges = new ConcurrentDictionary<(string Schema, string Name), ConcurrentBag<(int Range, TableRange Entry)>>();
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = failure.Token;

        async Task Guard(Func<Task> work)
        {
            try { await work(); }
            catch { failure.Cancel(); throw; }
        }

        // pg_dump starts at once, in the snapshot, while the inventory is read and the tables locked.
        // A section written before the tracker exists is counted when it is made: under one lock,
        // so none is counted twice (a race once showed "schema 4 of 2").
        ProgressTracker? schemaTracker = null;
        var schemaGate = new object();
        var schemaDone = 0;
        string[] sections = [BackupPart.PreData, BackupPart.PostData];
        var schema = Guard(async () =>
        {
            var (preData, postData) = await SchemaScript.DumpAsync(source, snapshotId, token);
            foreach (var (section, script) in sections.Zip([preData, postData]))
            {
                parts.Add(await WritePartAsync(store, name, $"{BackupPart.Folder}{section}.sql{compression.Extension}", section, compression, (s, t) => s.WriteAsync(script, t).AsTask(), token));
                lock (schemaGate)
                {
                    schemaDone++;
                    schemaTracker?.Add(TransferPhase.Schema, 1);
                }
            }
        });
        SourceInventory inventory;
        List<CopyJob> jobs;
        var parallelism = workerSessions.Count;
        try
        {
            inventory = await SourceInventory.ReadAsync(control, token);
            logger.LogDebug("Inventory read at {Seconds:0.000} s", clock.Elapsed.TotalSeconds);
            // As pg_dump does: hold every table for the backup's length, so a concurrent DROP or ALTER
            // waits (or fails this backup at once) instead of breaking it half-way. ACCESS SHARE is
            // allowed on a hot standby and blocks no reads or writes.
            foreach (var batch in inventory.Tables.Chunk(500))
                await DatabaseConnection.ExecuteAsync(control, $"LOCK TABLE {string.Join(", ", batch.Select(t => "ONLY " + t.QualifiedName))} IN ACCESS SHARE MODE", token);
            jobs = Plan(inventory.Tables, parallelism, options.RangeBytes);
        }
        catch
        {
            failure.Cancel();
            try { await schema; } catch (Exception e) when (e is OperationCanceledException or RecoveryException or IOException) { }
            throw;
        }
        logger.LogInformation("Backup {Name} of {Source} ({Role}) at LSN {Lsn}: {Tables} tables in {Jobs} parts, {Compression}", name, DatabaseConnection.Describe(source), (inRecovery ? NodeRole.Standby : NodeRole.Primary).Name(), lsn, inventory.Tables.Count, jobs.Count, compression);
        var tracker = new ProgressTracker("backup", options.Progress,
            (TransferPhase.Copy, ProgressUnit.Bytes, jobs.Sum(j => j.Bytes)), (TransferPhase.Schema, ProgressUnit.Steps, sections.Length));
        // The estimates need a listing of every object in the store (tens of LIST pages on S3 for hourly
        // backups of many tables): it runs beside the copies, not before them.
        var history = Guard(() => ExpectFromHistoryAsync(store, tracker, jobs.Sum(j => j.Bytes), token));
        tracker.Start(TransferPhase.Copy);
        tracker.Start(TransferPhase.Schema);
        lock (schemaGate)
        {
            schemaTracker = tracker;
            tracker.Add(TransferPhase.Schema, schemaDone);
        }

        var queue = new ConcurrentQueue<CopyJob>(jobs);
        // Each worker off this thread (Task.Run): a libpq session's calls block, and the workers start together.
        var workers = workerSessions.Take(Math.Max(1, Math.Min(parallelism, jobs.Count)))
            .Select(session => Guard(() => Task.Run(async () =>
            {
                await session.ExecuteAsync($"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshotId}'", token);
                while (queue.TryDequeue(out var job))
                {
                    var (part, pieces) = job switch
                    {
                        TableJob one => await CopyAsync(session, store, name, one, compression, token),
                        PackJob pack => await CopyPackAsync(session, store, name, pack, compression, token),
                        _ => throw new InvalidOperationException(job.ToString()),
                    };
                    parts.Add(part);
                    foreach (var (table, range, entry) in pieces) ranges.GetOrAdd((table.Schema, table.Name), _ => []).Add((range, entry));
                    tracker.Add(TransferPhase.Copy, job.Bytes);
                }
                await session.ExecuteAsync("COMMIT", token);
            }, token)))
            .ToList();
        // The control connection holds the snapshot open for the others; it copies the large objects meanwhile.
        LargeObjectsEntry largeObjects = new(null, 0, "");
        var lobs = Guard(async () =>
        {
            var (count, fingerprint) = await TableFingerprint.OfLargeObjectsAsync(control, token);
            string? path = null;
            if (count > 0)
            {
                path = $"{BackupPart.Folder}large-objects.bin{compression.Extension}";
                parts.Add(await WritePartAsync(store, name, path, BackupPart.LargeObjects, compression, (s, t) => LargeObjectArchive.WriteAsync(control, s, t), token));
            }
            var comments = await LargeObjectArchive.CommentsAsync(control, token);
            largeObjects = new LargeObjectsEntry(path, count, fingerprint, comments.Count > 0 ? comments : null);
        });
        // The system's other parts (Redis, media inventories), from this moment, beside the copies.
        var captures = new ConcurrentBag<SystemPartCapture>();
        var others = (options.SystemParts ?? []).Select(p => Guard(async () => captures.Add(await p.CaptureAsync(name, snapshotTime, store, token)))).ToList();
        await WhenAllOrFirstFailure([.. workers, schema, lobs, history, .. others]);
        foreach (var part in captures.SelectMany(c => c.Parts)) parts.Add(part);
        await DatabaseConnection.ExecuteAsync(control, "COMMIT", ct);
        tracker.Finish(TransferPhase.Copy);
        tracker.Finish(TransferPhase.Schema);

        var tables = inventory.Tables.Select(t =>
        {
            var pieces = ranges[(t.Schema, t.Name)].OrderBy(r => r.Range).Select(r => r.Entry).ToList();
            if (pieces.Count == 1) return new TableEntry(t.Schema, t.Name, t.Columns, pieces[0].Part, pieces[0].Rows, pieces[0].Fingerprint, Slice: pieces[0].Slice);
            var (rows, fingerprint) = RowFingerprint.Combine(pieces.Select(p => (p.Rows, p.Fingerprint)));
            return new TableEntry(t.Schema, t.Name, t.Columns, null, rows, fingerprint, pieces);
        });
        var manifest = new BackupManifest(
            BackupManifest.CurrentFormat, name, startedAt, DateTimeOffset.UtcNow,
            SourceOf(source, inRecovery, version, versionNumber),
            snapshot,
            inventory.Schemas,
            parts.OrderBy(p => p.Path, StringComparer.Ordinal).ToList(),
            tables.OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal).ToList(),
            inventory.Sequences,
            inventory.MaterializedViews,
            largeObjects,
            compression,
            inventory.Skipped,
            captures.Select(c => c.Cache).OfType<CacheEntry>().SingleOrDefault(),
            captures.Select(c => c.Media).OfType<MediaEntry>().OrderBy(m => m.Bucket, StringComparer.Ordinal).ToList() is { Count: > 0 } media ? media : null);
        // Last, and only now: the manifest is what makes the backup visible and complete.
        await new BackupCatalog(store).CompleteAsync(manifest, ct);
        logger.LogInformation("Backup {Name} complete: {Parts} parts, {Bytes} bytes in {Seconds:0.00} s", name, manifest.Parts.Count, manifest.TotalSize, clock.Elapsed.TotalSeconds);
        try
        {
            await ThroughputRecord.WriteBackupAsync(store, name,
                new BackupTiming(DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, manifest.TotalSize, jobs.Sum(j => j.Bytes), tracker.Timings()), ct);
        }
        catch (Exception e) when (e is RecoveryException or IOException or HttpRequestException)
        {
            logger.LogWarning("Backup {Name} is complete, but its throughput could not be recorded: {Message}", name, e.Message);
        }
        return manifest;
    }

    /// <summary>Estimates for the phases from the newest backup measured in the store: its phase times scaled by size on disk.</summary>
    static async Task ExpectFromHistoryAsync(IBackupStore store, ProgressTracker tracker, long diskBytes, CancellationToken ct)
    {
        foreach (var name in (await ThroughputRecord.RecordedAsync(store, ct)).Take(3))
        {
            if ((await ThroughputRecord.ReadAsync(store, name, ct))?.Backup is not { } last) continue;
            var scale = diskBytes / (double)Math.Max(1, last.DiskBytes);
            foreach (var phase in last.Phases) tracker.Expect(phase.Phase, TimeSpan.FromSeconds(phase.Seconds * (phase.Phase == TransferPhase.Copy ? scale : 1)));
            return;
        }
    }

    /// <summary>
    /// The copy jobs, biggest first. A table bigger than the range size is split into page ranges of
    /// about that size (the last one open-ended, so rows on pages added since the size was read are
    /// still covered); the default size gives each worker about eight jobs of the database's data.
    /// Tables below a pack's share of that size are packed: a part costs a file (an upload, on S3)
    /// whatever its size, which 1,500 tables of 100 rows paid 1,500 times. The packs are balanced by
    /// size, at least one per worker, so that restoring them keeps every worker busy too.
    /// </summary>
    internal static List<CopyJob> Plan(IReadOnlyList<SourceTable> tables, int parallelism, long rangeBytes)
    {
        var total = tables.Sum(t => t.Bytes);
        var size = rangeBytes > 0 ? rangeBytes : Math.Clamp(total / (parallelism * 8L), MinimumRangeBytes, 1L << 30);
        var jobs = new List<CopyJob>();
        var small = new List<(SourceTable Table, int Index)>();
        foreach (var (table, i) in tables.Select((t, i) => (t, i + 1)))
        {
            var bytesPerPage = table.Pages > 0 ? table.Bytes / table.Pages : 0;
            var count = table.Columns.Count == 0 || bytesPerPage == 0 ? 1 : (int)Math.Min(10_000, Math.Max(1, table.Bytes / size));
            if (count == 1)
            {
                if (table.Bytes < Math.Min(size, PackBelowBytes)) small.Add((table, i));
                else jobs.Add(new TableJob(table, i, 0, 1, 0, null, table.Bytes));
                continue;
            }
            var pages = table.Pages / count;
            for (var r = 0; r < count; r++)
            {
                var from = r * pages;
                long? to = r == count - 1 ? null : (r + 1) * pages;
                jobs.Add(new TableJob(table, i, r, count, from, to, ((to ?? table.Pages) - from) * bytesPerPage));
            }
        }
        jobs.AddRange(Packs(small, parallelism, size));
        return jobs.OrderByDescending(j => j.Bytes).ToList();
    }

    /// <summary>Tables smaller than this (on disk) go into packs: below it a part's fixed cost outweighs its data.</summary>
    const long PackBelowBytes = 1L << 20;

    /// <summary>
    /// The small tables in packs of about the range size, at least one per worker: biggest table first
    /// into the pack with the fewest bytes so far. A pack that would hold one table is that table's own part.
    /// </summary>
    static IEnumerable<CopyJob> Packs(List<(SourceTable Table, int Index)> small, int parallelism, long size)
    {
        var count = (int)Math.Min(small.Count, Math.Max(parallelism, (small.Sum(t => t.Table.Bytes) + size - 1) / size));
        var packs = Enumerable.Range(0, count).Select(_ => (Bytes: 0L, Tables: new List<(SourceTable Table, int Index)>())).ToList();
        foreach (var table in small.OrderByDescending(t => t.Table.Bytes))
        {
            var lightest = packs.Select((p, k) => (p, k)).MinBy(x => (x.p.Bytes, x.p.Tables.Count)).k;
            packs[lightest] = (packs[lightest].Bytes + table.Table.Bytes, packs[lightest].Tables);
            packs[lightest].Tables.Add(table);
        }
        foreach (var ((bytes, members), number) in packs.Where(p => p.Tables.Count > 0).Select((p, k) => (p, k + 1)))
            yield return members.Count == 1
                ? new TableJob(members[0].Table, members[0].Index, 0, 1, 0, null, bytes)
                : new PackJob(number, members.OrderBy(t => t.Index).Select(t => t.Table).ToList(), bytes);
    }

    /// <summary>Copies one table or page range into its part, fingerprinting the rows from the same bytes on the way.</summary>
    async Task<(BackupPart, IReadOnlyList<(SourceTable, int, TableRange)>)> CopyAsync(LibPqSession session, IBackupStore store, string name, TableJob job, PartCompression compression, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var table = job.Table;
        var range = job.Ranges == 1 ? "" : $".r{job.Range:D4}";
        var path = $"{BackupPart.Folder}data/{job.Index:D4}-{SafeFileName(table.DisplayName)}{range}.copy{compression.Extension}";
        var sql = job.Ranges == 1
            ? TableFingerprint.CopyOut(table.QualifiedName, table.Columns)
            : TableFingerprint.CopyOutRange(table.QualifiedName, table.Columns, job.From, job.To);
        var fingerprint = new RowFingerprint();
        var part = await WritePartAsync(store, name, path, BackupPart.TableData, compression,
            (output, token) => session.CopyOutAsync(sql, output, bytes => fingerprint.Append(bytes.Span), token), ct);
        logger.LogDebug("{Table}{Range}: {Rows} rows, {Bytes} bytes stored in {Seconds:0.00} s", table.DisplayName, range, fingerprint.Rows, part.Size, clock.Elapsed.TotalSeconds);
        return (part, [(table, job.Range, new TableRange(path, fingerprint.Rows, fingerprint.Value))]);
    }

    /// <summary>Copies small tables one after another into one part, each table's COPY text a slice of it, fingerprinted on the way.</summary>
    async Task<(BackupPart, IReadOnlyList<(SourceTable, int, TableRange)>)> CopyPackAsync(LibPqSession session, IBackupStore store, string name, PackJob job, PartCompression compression, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var path = $"{BackupPart.Folder}data/pack-{job.Number:D4}.copy{compression.Extension}";
        var slices = new List<(SourceTable, int, TableRange)>();
        var part = await WritePartAsync(store, name, path, BackupPart.TableData, compression, async (output, token) =>
        {
            long offset = 0;
            foreach (var table in job.Tables)
            {
                var fingerprint = new RowFingerprint();
                var length = await session.CopyOutAsync(TableFingerprint.CopyOut(table.QualifiedName, table.Columns), output, bytes => fingerprint.Append(bytes.Span), token);
                slices.Add((table, 0, new TableRange(path, fingerprint.Rows, fingerprint.Value, new PartSlice(offset, length))));
                offset += length;
            }
        }, ct);
        logger.LogDebug("Pack {Number}: {Tables} tables, {Bytes} bytes stored in {Seconds:0.00} s", job.Number, job.Tables.Count, part.Size, clock.Elapsed.TotalSeconds);
        return (part, slices);
    }

    /// <summary>Writes one compressed part, hashing the stored bytes on their way to the store.</summary>
    internal static async Task<BackupPart> WritePartAsync(IBackupStore store, string name, string path, string kind, PartCompression compression, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var sha = "";
        long hashed = 0;
        var size = await store.WriteAsync($"{name}/{path}", async (sink, token) =>
        {
            await using var digest = new DigestStream(sink, leaveOpen: true);
            await using (var compressed = compression.Compress(digest))
                await write(compressed, token);
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
}
