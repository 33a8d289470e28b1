using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// How a restore runs: Force restores into a non-empty target, replacing the backup's schemas and the
/// target's large objects; Parallelism is the number of connections that load, verify and build
/// indexes at once (0: one per processor, at least 2).
/// </summary>
public sealed record RestoreOptions(bool Force = false, IProgress<TransferProgress>? Progress = null, int Parallelism = 0);

/// <summary>One table (or the large objects) after restore beside what the manifest recorded.</summary>
public sealed record RestoredTableCheck(string Table, long ExpectedRows, long ActualRows, string ExpectedFingerprint, string ActualFingerprint)
{
    public bool Passed => ExpectedRows == ActualRows && ExpectedFingerprint == ActualFingerprint;
}

/// <summary>
/// What a restore did. Passed is true only when every table matched and the restore was committed;
/// when it is false nothing was committed and the target is as it was.
/// BackupAge is the data's age at restore time: the RPO a restore from this backup achieves.
/// NotRecorded is null when the target records that it holds this backup (<see cref="RestoreRecord"/>), else why not.
/// Skipped is what the backup did not carry (and so was not verified either), with the reason;
/// Phases how long each phase took, for the throughput record and the forecast.
/// </summary>
public sealed record RestoreResult(
    string Name, string Target, SnapshotPoint Snapshot, TimeSpan BackupAge, long BytesRead,
    IReadOnlyList<RestoredTableCheck> Tables, TimeSpan Duration, bool Passed, string? NotRecorded,
    IReadOnlyList<SkippedObject> Skipped, PartCompression Compression, IReadOnlyList<PhaseTiming> Phases)
{
    /// <summary>The one way a failed verification is told, wherever the restore ran from (CLI, runbook, drill).</summary>
    public string FailureMessage =>
        $"restore of {Name} into {Target} did not match its manifest for {Tables.Count(t => !t.Passed)} table(s) ({string.Join(", ", Tables.Where(t => !t.Passed).Select(t => t.Table))}); it was rolled back and the target is as it was";

    /// <summary>What was verified and what was not, in one line: for every summary (CLI, runbook, drill report).</summary>
    public string VerifiedSummary =>
        $"{Tables.Count} {(Tables.Count == 1 ? "table" : "tables")} verified" + (Skipped.Count == 0 ? "" : $"; not in the backup, so not verified: {Describe(Skipped)}");

    public static string Describe(IReadOnlyList<SkippedObject> skipped) =>
        string.Join("; ", skipped.GroupBy(s => (s.Kind, s.Reason)).Select(g => $"{g.Count()} {g.Key.Kind}{(g.Count() == 1 ? "" : "s")} ({string.Join(", ", g.Select(s => s.Name))}): {g.Key.Reason}"));
}

/// <summary>
/// Restores a backup into a target database. The backup is verified (manifest seal, every part's
/// size and SHA-256) before the target is touched. The restore is then staged: the backup's
/// schemas are created under names applications cannot guess (random, not on any search_path, no
/// privileges granted), parallel workers load them and read every table back to compare it with
/// the manifest, and build the indexes, each committing its own part; then ONE short transaction
/// swaps the staged schemas in under their real names, runs the rest of the schema (foreign keys,
/// triggers, ...), loads the large objects, drops what they replace and records which backup the
/// target holds. Nothing is swapped in unless every table matched; a failure or interruption
/// anywhere leaves the target as it was (staged schemas are dropped, or by the next restore after a
/// crash), so a re-run converges to the same state.
/// </summary>
public sealed class BackupRestore(ILogger<BackupRestore> logger)
{
    const string LargeObjectsName = "(large objects)";
    const string LargeObjectCommentsName = "(large object comments)";

    /// <summary>Every staging schema starts so; the rest of its name is random. A restore drops what a crashed one left.</summary>
    public const string StagingPrefix = "avdr_restore_";

    /// <summary>Verify read-backs split tables into page ranges no smaller than this.</summary>
    const long MinimumRangeBytes = 16L << 20;

    public async Task<RestoreResult> RestoreAsync(IBackupStore store, string nameOrLatest, string targetConnectionString, RestoreOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // The target's first session opens while the backup is found and checked: a client's first
        // connection costs tens of milliseconds of warm-up. Opening writes nothing; a target database
        // that does not exist yet is created only once the check has passed.
        var session = BackupSession.OpenAsync(targetConnectionString, "target", ct);
        BackupManifest manifest;
        try { manifest = await new BackupCatalog(store).ResolveAsync(nameOrLatest, ct); }
        catch
        {
            await DiscardAsync(session);
            throw;
        }
        var parallelism = options.Parallelism > 0 ? options.Parallelism : Math.Max(2, Environment.ProcessorCount);
        var loads = PartLoad.Of(manifest);
        var tracker = new ProgressTracker("restore", options.Progress,
            (TransferPhase.Check, ProgressUnit.Bytes, manifest.TotalSize),
            (TransferPhase.Load, ProgressUnit.Bytes, loads.Sum(l => l.Bytes)),
            (TransferPhase.Verify, ProgressUnit.Rows, manifest.TotalRows),
            (TransferPhase.Indexes, ProgressUnit.Steps, 0),
            (TransferPhase.Swap, ProgressUnit.Steps, 0));
        VerificationReport report;
        try { report = await CheckAsync(store, manifest, tracker, ct); }
        catch
        {
            await DiscardAsync(session);
            throw;
        }
        logger.LogDebug("Verified {Parts} parts in {Seconds:0.00} s", report.Parts.Count, clock.Elapsed.TotalSeconds);
        if (!report.Passed)
        {
            await DiscardAsync(session);
            throw new RecoveryException($"{report.Problem}; refusing to restore it (nothing was written to the target)");
        }

        var target = DatabaseConnection.Describe(targetConnectionString);
        await using var control = await TargetSessionAsync(session, targetConnectionString, ct);
        var staging = new Dictionary<string, string>();
        var workers = new List<RestoreWorker>();
        var committed = false;
        try
        {
            await RefuseUnsuitableTargetAsync(control, target, manifest, options.Force, ct);
            logger.LogInformation("Restoring {Name} into {Target}", manifest.Name, target);
            var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            foreach (var (schema, k) in manifest.Schemas.Select((s, k) => (s, k))) staging[schema] = $"{StagingPrefix}{id}_{k}";
            var preData = await ReadPartTextAsync(store, manifest, manifest.PartOfKind(BackupPart.PreData), null, ct);
            var postData = PostDataScript.Parse(await ReadPartTextAsync(store, manifest, manifest.PartOfKind(BackupPart.PostData), null, ct));
            var (indexes, deferred) = postData.Split(manifest.Tables.Select(t => (t.Schema, t.Name)).ToHashSet(), staging);
            tracker.SetTotal(TransferPhase.Indexes, indexes.Count);
            tracker.SetTotal(TransferPhase.Swap, deferred.Count + 3);

            // The workers' connections open while the schema is staged: start-up counts at small sizes.
            var opening = Enumerable.Range(0, parallelism).Select(_ => OpenWorkerAsync(targetConnectionString, ct)).ToList();
            try { await StageSchemasAsync(control, manifest, preData, staging, id, ct); }
            finally
            {
                await Task.WhenAll(opening.Select(o => o.ContinueWith(_ => { }, TaskScheduler.Default)));
                workers.AddRange(opening.Where(o => o.IsCompletedSuccessfully).Select(o => o.Result));
            }
            if (opening.FirstOrDefault(o => !o.IsCompletedSuccessfully) is { } failed) await failed;
            logger.LogDebug("Schema (pre-data) staged at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);

            // The swap's connection opens its transaction now and loads the large objects while the tables load.
            using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await using var swap = await BackupSession.OpenAsync(targetConnectionString, "target", ct);
            await using var transaction = await swap.BeginTransactionAsync(ct);
            var largeObjects = LoadLargeObjectsAsync(swap, store, manifest, options.Force, failure.Token);
            try
            {
                tracker.Start(TransferPhase.Load);
                await RunAsync(workers, loads, failure, async (worker, load, token) =>
                    await LoadAsync(worker.Connection, store, manifest, load, staging, tracker, token));
                tracker.Finish(TransferPhase.Load);
                logger.LogDebug("Data loaded at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);

                // Verification and index builds share the workers: both only read the loaded tables, and
                // one big index build would otherwise leave the other workers idle. Nothing is swapped in
                // unless every table verified; indexes built for nothing are dropped with the staging schemas.
                tracker.Start(TransferPhase.Verify);
                tracker.Start(TransferPhase.Indexes);
                var checks = await VerifyAndIndexAsync(control, workers, manifest, staging, postData, indexes, tracker, ct);
                tracker.Finish(TransferPhase.Verify);
                tracker.Finish(TransferPhase.Indexes);
                logger.LogDebug("Tables read back and compared, {Count} indexes and keys built on the staged tables at {Seconds:0.00} s", indexes.Count, clock.Elapsed.TotalSeconds);

                var passed = checks.All(c => c.Passed);
                string? notRecorded = null;
                if (passed)
                {
                    checks.AddRange(await largeObjects);
                    tracker.Start(TransferPhase.Swap);
                    passed = checks.All(c => c.Passed);
                    if (passed)
                    {
                        await SwapAsync(swap, manifest, staging, postData, deferred, tracker, ct);
                        // In the swap's own transaction: the data and the record of it commit together.
                        notRecorded = await RestoreRecord.WriteAsync(swap, manifest.Name, ct);
                        await transaction.CommitAsync(ct);
                        committed = true;
                        tracker.Finish(TransferPhase.Swap);
                        logger.LogDebug("Swapped in and committed at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);
                    }
                }
                else
                {
                    // Nothing to swap in: stop the large objects' load and let its transaction roll back.
                    await StopAsync(largeObjects, failure);
                }
                if (!committed) await transaction.RollbackAsync(CancellationToken.None);
                logger.LogInformation("Restore of {Name} into {Target}: {Outcome}", manifest.Name, target, committed ? "committed" : "rolled back (verification failed)");
                var result = new RestoreResult(manifest.Name, target, manifest.Snapshot, DateTimeOffset.UtcNow - manifest.Snapshot.Time,
                    manifest.TotalSize, checks, clock.Elapsed, committed, notRecorded, manifest.SkippedObjects, manifest.PartCompression, tracker.Timings());
                await RecordThroughputAsync(store, result, ct);
                return result;
            }
            finally
            {
                // The large objects load on the swap's connection: that load must be over before anything
                // else uses the connection (the rollback, its disposal). A table load that failed left it
                // running, and two operations at once on one connection hung a restore for good (CI).
                await StopAsync(largeObjects, failure);
            }
        }
        catch (NpgsqlException e)
        {
            throw new RecoveryException($"restore of {manifest.Name} into {target} failed and was rolled back: {DatabaseConnection.Message(e)}", e);
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
            if (!committed && staging.Count > 0) await DropStagingAsync(targetConnectionString, staging.Values, CancellationToken.None);
        }
    }

    /// <summary>
    /// Every part's size and SHA-256, before the target is touched. The phase estimates need a listing
    /// of every object in the store (tens of LIST pages on S3 for hourly backups of many tables): they
    /// are read meanwhile. A refused backup waits for that listing rather than cancel it: an S3 listing
    /// cancelled in flight once held a refused restore for 75 s in a synchronous read inside the AWS SDK
    /// (through the catalog benchmark's proxy), where letting it finish costs one listing at most.
    /// </summary>
    static async Task<VerificationReport> CheckAsync(IBackupStore store, BackupManifest manifest, ProgressTracker tracker, CancellationToken ct)
    {
        var history = ExpectFromHistoryAsync(store, manifest, tracker, ct);
        VerificationReport report;
        try { report = await BackupVerifier.CheckPartsAsync(store, manifest, tracker, ct); }
        catch
        {
            await Task.WhenAny(history);
            throw;
        }
        // The estimates only matter to a restore that goes on: a refusal waits for them to end, not for their errors.
        await (report.Passed ? history : Task.WhenAny(history));
        return report;
    }

    /// <summary>
    /// The target's control session, from the opening started beside the check. A target database that
    /// does not exist yet is created (CREATE DATABASE cannot run inside the restore's transaction), and
    /// then connected to; an existing one is used as it is, without needing the server's maintenance database.
    /// </summary>
    static async Task<NpgsqlConnection> TargetSessionAsync(Task<NpgsqlConnection> opening, string targetConnectionString, CancellationToken ct)
    {
        try { return await opening; }
        catch (RecoveryException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName })
        {
            await CreateDatabaseAsync(targetConnectionString, ct);
            return await BackupSession.OpenAsync(targetConnectionString, "target", ct);
        }
    }

    /// <summary>Closes a session opened for a restore that stopped before using it; why it could not open no longer matters.</summary>
    static async Task DiscardAsync(Task<NpgsqlConnection> opening)
    {
        try { await (await opening).DisposeAsync(); }
        catch (Exception e) when (e is RecoveryException or NpgsqlException or OperationCanceledException or IOException) { }
    }

    /// <summary>Cancels <paramref name="work"/> (if it still runs) and waits until it has ended, whatever its outcome: the failure that stopped it is reported instead.</summary>
    static async Task StopAsync(Task work, CancellationTokenSource failure)
    {
        if (!work.IsCompleted) failure.Cancel();
        try { await work; }
        catch (Exception e) when (e is OperationCanceledException or NpgsqlException or RecoveryException or IOException or InvalidOperationException) { }
    }

    /// <summary>
    /// Creates the backup's schemas as staging schemas, in one transaction: the target's schemas of the
    /// same names step aside for the length of it (no other session sees that), pre-data runs under the
    /// real names, the sequences are set, and the new schemas are renamed to their staging names before
    /// the target's step back. Applications never see the staging schemas' contents: they are granted
    /// nothing and named at random.
    /// </summary>
    static async Task StageSchemasAsync(NpgsqlConnection connection, BackupManifest manifest, string preData, IReadOnlyDictionary<string, string> staging, string id, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var existing = await ExistingSchemasAsync(connection, manifest.Schemas, ct);
        var aside = new StringBuilder();
        foreach (var (schema, k) in existing.Select((s, k) => (s, k))) aside.Append($"ALTER SCHEMA {SqlIdentifier.Quote(schema)} RENAME TO {SqlIdentifier.Quote($"{StagingPrefix}{id}_aside_{k}")};");
        // pg_dump does not create the standard public schema; everything else it creates itself.
        if (manifest.Schemas.Contains("public")) aside.Append("CREATE SCHEMA public AUTHORIZATION pg_database_owner;");
        if (aside.Length > 0) await DatabaseConnection.ExecuteAsync(connection, aside.ToString(), ct);
        await RunScriptAsync(connection, preData, ct);
        await TableFingerprint.ApplySessionSettingsAsync(connection, ct);
        // setval is not transactional, but these sequences are new and seen by nobody until the swap.
        foreach (var sequence in manifest.Sequences)
        {
            await using var setval = new NpgsqlCommand("SELECT setval($1::regclass, $2, $3)", connection);
            setval.Parameters.AddWithValue($"{SqlIdentifier.Quote(sequence.Schema)}.{SqlIdentifier.Quote(sequence.Name)}");
            setval.Parameters.AddWithValue(sequence.LastValue);
            setval.Parameters.AddWithValue(sequence.IsCalled);
            await setval.ExecuteNonQueryAsync(ct);
        }
        var back = new StringBuilder();
        foreach (var schema in manifest.Schemas) back.Append($"ALTER SCHEMA {SqlIdentifier.Quote(schema)} RENAME TO {SqlIdentifier.Quote(staging[schema])};");
        foreach (var (schema, k) in existing.Select((s, k) => (s, k))) back.Append($"ALTER SCHEMA {SqlIdentifier.Quote($"{StagingPrefix}{id}_aside_{k}")} RENAME TO {SqlIdentifier.Quote(schema)};");
        await DatabaseConnection.ExecuteAsync(connection, back.ToString(), ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// The swap, in the transaction that commits the restore: the target's schemas of the backup's
    /// names are renamed out of the way (keeping their grants for the new ones) and the staged ones
    /// take their names; extensions living in a replaced schema move to its successor; the rest of
    /// post-data runs under the real names; materialized views are refreshed; the replaced schemas
    /// are dropped.
    /// </summary>
    static async Task SwapAsync(NpgsqlConnection connection, BackupManifest manifest, IReadOnlyDictionary<string, string> staging, PostDataScript postData, IReadOnlyList<PostDataScript.Entry> deferred, ProgressTracker tracker, CancellationToken ct)
    {
        var existing = await ExistingSchemasAsync(connection, manifest.Schemas, ct);
        var old = existing.ToDictionary(s => s, s => staging[s] + "_old");
        var sql = new StringBuilder();
        foreach (var schema in existing) sql.Append($"ALTER SCHEMA {SqlIdentifier.Quote(schema)} RENAME TO {SqlIdentifier.Quote(old[schema])};");
        foreach (var schema in manifest.Schemas) sql.Append($"ALTER SCHEMA {SqlIdentifier.Quote(staging[schema])} RENAME TO {SqlIdentifier.Quote(schema)};");
        if (sql.Length > 0) await DatabaseConnection.ExecuteAsync(connection, sql.ToString(), ct);
        foreach (var (schema, replaced) in old)
        {
            // The grants the target gave on its schema (USAGE for PUBLIC on public, for one) stay with the name.
            await DatabaseConnection.ExecuteAsync(connection, $"""
                DO $grants$ DECLARE g record; BEGIN
                  FOR g IN SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
                           FROM pg_namespace n, aclexplode(n.nspacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                           WHERE n.nspname = {Literal(replaced)} AND a.grantee <> n.nspowner LOOP
                    EXECUTE format('GRANT %s ON SCHEMA %I TO %s', g.privilege_type, {Literal(schema)}, g.grantee);
                  END LOOP;
                  FOR g IN SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = {Literal(replaced)} LOOP
                    EXECUTE format('ALTER EXTENSION %I SET SCHEMA %I', g.extname, {Literal(schema)});
                  END LOOP;
                END $grants$
                """, ct);
        }
        tracker.Add(TransferPhase.Swap, 1);
        await RunScriptAsync(connection, postData.Preamble, ct);
        foreach (var entry in deferred)
        {
            await RunScriptAsync(connection, entry.Sql, ct);
            tracker.Add(TransferPhase.Swap, 1);
        }
        await TableFingerprint.ApplySessionSettingsAsync(connection, ct);
        await RefreshMaterializedViewsAsync(connection, manifest, ct);
        tracker.Add(TransferPhase.Swap, 1);
        if (old.Count > 0)
            await DatabaseConnection.ExecuteAsync(connection, string.Concat(old.Values.Select(o => $"DROP SCHEMA {SqlIdentifier.Quote(o)} CASCADE;")), ct);
        tracker.Add(TransferPhase.Swap, 1);
    }

    /// <summary>
    /// In the swap's transaction, from the start: with --force the target's large objects give way
    /// (they belong to no schema; any left behind would also fail the check), the backup's are
    /// created with their OIDs and comments, and all of them are fingerprinted for the check.
    /// </summary>
    async Task<IReadOnlyList<RestoredTableCheck>> LoadLargeObjectsAsync(NpgsqlConnection connection, IBackupStore store, BackupManifest manifest, bool force, CancellationToken ct)
    {
        await Task.Yield();
        if (force) await DatabaseConnection.ExecuteAsync(connection, "SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata", ct);
        if (manifest.LargeObjects.Part is { } path)
            await ReadPartAsync(store, manifest, manifest.Part(path), null, (input, token) => LargeObjectArchive.RestoreAsync(connection, input, replace: false, token), ct);
        var expectedComments = manifest.LargeObjects.Comments ?? [];
        if (expectedComments.Count > 0) await LargeObjectArchive.RestoreCommentsAsync(connection, expectedComments, ct);
        var checks = new List<RestoredTableCheck>();
        var (count, fingerprint) = await TableFingerprint.OfLargeObjectsAsync(connection, ct);
        if (manifest.LargeObjects.Count > 0 || count > 0)
            checks.Add(new RestoredTableCheck(LargeObjectsName, manifest.LargeObjects.Count, count, manifest.LargeObjects.Fingerprint, fingerprint));
        var comments = await LargeObjectArchive.CommentsAsync(connection, ct);
        if (expectedComments.Count > 0 || comments.Count > 0)
            checks.Add(new RestoredTableCheck(LargeObjectCommentsName, expectedComments.Count, comments.Count, CommentsDigest(expectedComments), CommentsDigest(comments)));
        logger.LogDebug("{Count} large objects loaded in the swap's transaction", count);
        return checks;
    }

    static string CommentsDigest(IReadOnlyList<LargeObjectComment> comments) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", comments.Select(c => $"{c.Oid}:{c.Comment}")))))[..16];

    /// <summary>
    /// One worker's load: a pack (its tables in the order of their slices) or one table, whose parts (its
    /// page ranges, in order) are all loaded in the one transaction that truncates it, so every row is
    /// written frozen. Rows loaded unfrozen get their hint bits set by the first read (the read-back, an
    /// index build), and with wal_log_hints or data checksums a page first read after a checkpoint then
    /// writes a full-page image (pgbench scale 150: 390,000 images against 42,000 frozen, the restore
    /// 26 s against 23–24 s). Loading ranges in parallel gained nothing: the server's COPY is the bottleneck.
    /// </summary>
    sealed record PartLoad(IReadOnlyList<BackupPart> Parts, IReadOnlyList<(TableEntry Table, TableRange Piece)> Pieces)
    {
        public long Bytes => Parts.Sum(p => p.Size);

        /// <summary>Every part of table data in loads, biggest first; each part is read once.</summary>
        public static List<PartLoad> Of(BackupManifest manifest)
        {
            var packs = manifest.Tables.Where(t => t.Slice is not null).Select(t => (Table: t, Piece: t.Pieces[0]))
                .GroupBy(p => p.Piece.Part, StringComparer.Ordinal)
                .Select(g => new PartLoad([manifest.Part(g.Key)], g.OrderBy(p => p.Piece.Slice!.Offset).ToList()));
            var tables = manifest.Tables.Where(t => t.Slice is null)
                .Select(t => new PartLoad(t.Pieces.Select(p => manifest.Part(p.Part)).ToList(), t.Pieces.Select(p => (t, p)).ToList()));
            return packs.Concat(tables).OrderByDescending(l => l.Bytes).ToList();
        }
    }

    /// <summary>
    /// Loads a pack or a table into the staged tables: each table is truncated and loaded in one
    /// transaction (its parts one after another), so its rows are written frozen; a pack is split by its slices.
    /// </summary>
    static async Task LoadAsync(NpgsqlConnection connection, IBackupStore store, BackupManifest manifest, PartLoad load, IReadOnlyDictionary<string, string> staging, ProgressTracker tracker, CancellationToken ct)
    {
        var next = 0;
        foreach (var part in load.Parts)
        {
            await ReadPartAsync(store, manifest, part, n => tracker.Add(TransferPhase.Load, n), async (input, token) =>
            {
                for (; next < load.Pieces.Count && load.Pieces[next].Piece.Part == part.Path; next++)
                {
                    var (table, piece) = load.Pieces[next];
                    var staged = $"{SqlIdentifier.Quote(staging[table.Schema])}.{SqlIdentifier.Quote(table.Name)}";
                    if (next == 0 || !ReferenceEquals(load.Pieces[next - 1].Table, table)) await DatabaseConnection.ExecuteAsync(connection, $"BEGIN; TRUNCATE ONLY {staged}", token);
                    await using (var copy = await connection.BeginTextImportAsync($"COPY {staged}{TableFingerprint.ColumnList(table.Columns)} FROM STDIN WITH (FREEZE)", token))
                        await CopyText.FromBytesAsync(input, copy, piece.Slice?.Length, token);
                    if (next == load.Pieces.Count - 1 || !ReferenceEquals(load.Pieces[next + 1].Table, table)) await DatabaseConnection.ExecuteAsync(connection, "COMMIT", token);
                }
                if (load.Pieces[next - 1].Piece.Slice is not null && await input.ReadAsync(new byte[1], token) > 0)
                    throw new InvalidDataException("it holds more than its tables' slices");
                return 0;
            }, ct);
        }
    }

    /// <summary>
    /// Reads every staged table back (big ones as page ranges) and compares its rows and fingerprint
    /// with the manifest, and builds the staged indexes, all on one pool of workers: the index builds
    /// first, biggest table first, so the longest single job starts at once and the read-backs fill
    /// the other workers. Keys are built as unique indexes first, so that the read-back of their table
    /// is not locked out for the build.
    /// </summary>
    static async Task<List<RestoredTableCheck>> VerifyAndIndexAsync(NpgsqlConnection control, IReadOnlyList<RestoreWorker> workers, BackupManifest manifest, IReadOnlyDictionary<string, string> staging,
        PostDataScript postData, IReadOnlyList<PostDataScript.StagedStatement> indexes, ProgressTracker tracker, CancellationToken ct)
    {
        var sizes = new Dictionary<(string, string), (long Bytes, long Pages)>();
        await using (var query = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, pg_relation_size(c.oid), pg_relation_size(c.oid) / current_setting('block_size')::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind = 'r'
            """, control))
        {
            query.Parameters.AddWithValue(staging.Values.ToArray());
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) sizes[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetInt64(3));
        }
        var results = new ConcurrentDictionary<TableEntry, ConcurrentBag<(long Rows, string Value)>>();
        var rangeBytes = Math.Max(MinimumRangeBytes, sizes.Values.Sum(s => s.Bytes) / (workers.Count * 8L));
        var reads = new List<(long Bytes, Func<RestoreWorker, CancellationToken, Task> Run)>();
        foreach (var table in manifest.Tables)
        {
            var staged = $"{SqlIdentifier.Quote(staging[table.Schema])}.{SqlIdentifier.Quote(table.Name)}";
            var (bytes, pages) = sizes.GetValueOrDefault((staging[table.Schema], table.Name));
            var count = table.Columns.Count == 0 || pages == 0 ? 1 : (int)Math.Min(10_000, Math.Max(1, bytes / rangeBytes));
            var step = pages / count;
            for (var r = 0; r < count; r++)
            {
                (long, long?)? range = count == 1 ? null : (r * step, r == count - 1 ? null : (r + 1) * step);
                reads.Add((bytes / count, async (worker, token) =>
                {
                    var result = await TableFingerprint.OfTableAsync(worker.Reader, staged, table.Columns, range, n => tracker.Add(TransferPhase.Verify, n), token);
                    results.GetOrAdd(table, _ => []).Add(result);
                }));
            }
        }
        var builds = indexes
            .OrderByDescending(i => sizes.GetValueOrDefault((staging[i.Schema], i.Table)).Bytes)
            .ThenBy(i => i.Entry.Type == "CONSTRAINT" ? 0 : 1)
            .Select(i => (Func<RestoreWorker, CancellationToken, Task>)(async (worker, token) =>
            {
                await RunScriptAsync(worker.Connection, postData.Preamble + "\n" + i.Sql, token);
                tracker.Add(TransferPhase.Indexes, 1);
            }));
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await RunAsync(workers, builds.Concat(reads.OrderByDescending(r => r.Bytes).Select(r => r.Run)).ToList(), failure, (worker, job, token) => job(worker, token));
        // Every read-back has ended: the keys built as unique indexes become keys (each a short exclusive lock).
        if (indexes.Where(i => i.Attach is not null).Select(i => i.Attach).ToList() is { Count: > 0 } attach)
            await RunScriptAsync(workers[0].Connection, postData.Preamble + "\n" + string.Join("\n", attach), ct);
        return manifest.Tables.Select(t =>
        {
            var (rows, fingerprint) = RowFingerprint.Combine(results.GetValueOrDefault(t) ?? []);
            return new RestoredTableCheck(t.DisplayName, t.Rows, rows, t.Fingerprint, fingerprint);
        }).ToList();
    }

    /// <summary>
    /// A worker's sessions: staged work need not survive a crash (a crash fails the restore and a
    /// rerun starts over), so no waiting for WAL flushes (only the swap's commit is durable); index
    /// builds get room. The first read of a freshly loaded page (the read-back, an index build) sets
    /// its hint bits, and with wal_log_hints or data checksums that writes a full-page image to WAL
    /// for nearly every page; compressed, that WAL halves (pgbench scale 150: 3.7 GB to 1.9 GB). Only a
    /// superuser may set wal_compression, and only to a method the server was built with; for any
    /// other the server's setting stands.
    /// </summary>
    const string WorkerSettings = """
        SET synchronous_commit = off; SET maintenance_work_mem = '256MB';
        SELECT set_config('wal_compression', 'lz4', false) FROM pg_settings
        WHERE name = 'wal_compression' AND 'lz4' = ANY(enumvals) AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
        """;

    /// <summary>A restore worker: its Npgsql session loads parts and builds indexes, its libpq session reads the staged tables back (as the backup read them).</summary>
    sealed record RestoreWorker(NpgsqlConnection Connection, LibPqSession Reader) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Reader.Dispose();
            await Connection.DisposeAsync();
        }
    }

    static async Task<RestoreWorker> OpenWorkerAsync(string connectionString, CancellationToken ct)
    {
        var connection = BackupSession.OpenAsync(connectionString, "target", ct);
        var reader = BackupSession.OpenCopyAsync(connectionString, "target", ct);
        try
        {
            await Task.WhenAll(connection, reader);
            await DatabaseConnection.ExecuteAsync(connection.Result, WorkerSettings, ct);
            await reader.Result.ExecuteAsync(WorkerSettings, ct);
            return new RestoreWorker(connection.Result, reader.Result);
        }
        catch
        {
            if (reader.IsCompletedSuccessfully) reader.Result.Dispose();
            if (connection.IsCompletedSuccessfully) await connection.Result.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> over the items, biggest first as given, on the workers' sessions
    /// (each statement commits by itself). The first failure cancels the others and is the one reported.
    /// </summary>
    static async Task RunAsync<T>(IReadOnlyList<RestoreWorker> workers, IReadOnlyList<T> items, CancellationTokenSource failure, Func<RestoreWorker, T, CancellationToken, Task> work)
    {
        var queue = new ConcurrentQueue<T>(items);
        var token = failure.Token;
        var running = workers.Take(Math.Max(1, Math.Min(workers.Count, items.Count))).Select(worker => Task.Run(async () =>
        {
            try
            {
                while (queue.TryDequeue(out var item)) await work(worker, item, token);
            }
            catch
            {
                failure.Cancel();
                throw;
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(running);
        }
        catch
        {
            // The first real failure, not the cancellations it caused in the other workers.
            var first = running.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }
    }

    /// <summary>Drops staging schemas after a restore that did not commit (and what a crashed one left); best-effort: the next restore drops leftovers too.</summary>
    async Task DropStagingAsync(string connectionString, IEnumerable<string> schemas, CancellationToken ct)
    {
        try
        {
            await using var connection = await BackupSession.OpenAsync(connectionString, "target", ct);
            await DatabaseConnection.ExecuteAsync(connection, string.Concat(schemas.Select(s => $"DROP SCHEMA IF EXISTS {SqlIdentifier.Quote(s)} CASCADE;")), ct);
        }
        catch (Exception e) when (e is RecoveryException or NpgsqlException or IOException)
        {
            logger.LogWarning("Staging schemas of the interrupted restore could not be dropped now ({Message}); the next restore drops them", e.Message);
        }
    }

    static async Task<IReadOnlyList<string>> ExistingSchemasAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken ct)
    {
        var existing = new List<string>();
        await using var query = new NpgsqlCommand("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1", connection);
        query.Parameters.AddWithValue(schemas.ToArray());
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) existing.Add(reader.GetString(0));
        return existing;
    }

    static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    /// <summary>Estimates for the phases from the last restore measured in the store: its phase times scaled by size.</summary>
    static async Task ExpectFromHistoryAsync(IBackupStore store, BackupManifest manifest, ProgressTracker tracker, CancellationToken ct)
    {
        try
        {
            if (await ThroughputRecord.LastRestoreAsync(store, ct) is not { Timing: var last }) return;
            var scale = manifest.TotalSize / (double)Math.Max(1, last.StoredBytes);
            foreach (var phase in last.Phases) tracker.Expect(phase.Phase, TimeSpan.FromSeconds(phase.Seconds * scale));
        }
        catch (Exception e) when (e is RecoveryException or IOException or HttpRequestException)
        {
            // No history is no estimate, not a failure.
        }
    }

    async Task RecordThroughputAsync(IBackupStore store, RestoreResult result, CancellationToken ct)
    {
        try
        {
            await ThroughputRecord.WriteRestoreAsync(store, result.Name,
                new RestoreTiming(DateTimeOffset.UtcNow, result.Duration.TotalSeconds, result.BytesRead, result.Passed, result.Target, result.Phases), ct);
        }
        catch (Exception e) when (e is RecoveryException or IOException or HttpRequestException or UnauthorizedAccessException)
        {
            logger.LogWarning("The restore's throughput could not be recorded in the store ({Message}); the restore itself stands", e.Message);
        }
    }

    /// <summary>Creates the target database, from the server's maintenance database; a standby in recovery cannot have one created.</summary>
    static async Task CreateDatabaseAsync(string targetConnectionString, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(targetConnectionString) { Pooling = false };
        var database = builder.Database ?? throw new RecoveryException("the target connection string names no database (Database=...)");
        builder.Database = "postgres";
        await using var server = await DatabaseConnection.OpenAsync(builder.ConnectionString, "target server's maintenance", ct);
        if (await DatabaseConnection.ScalarAsync<bool>(server, "SELECT pg_is_in_recovery()", ct))
            throw new RecoveryException($"the target {DatabaseConnection.Describe(targetConnectionString)} does not exist and its server is a read-only standby in recovery; promote it first, or restore into another server with --target <connection string>");
        await DatabaseConnection.ExecuteAsync(server, $"CREATE DATABASE {SqlIdentifier.Quote(database)} TEMPLATE template0 ENCODING 'UTF8'", ct);
    }

    static async Task RefuseUnsuitableTargetAsync(NpgsqlConnection connection, string target, BackupManifest manifest, bool force, CancellationToken ct)
    {
        // pg_dump's SQL is meant for the same or a newer major version; an older one fails half-way through it.
        await using (var version = new NpgsqlCommand("SELECT current_setting('server_version_num')::int, current_setting('server_version')", connection))
        await using (var reader = await version.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            if (reader.GetInt32(0) / 10000 < manifest.Source.ServerVersionNumber / 10000)
                throw new RecoveryException($"the target {target} runs PostgreSQL {reader.GetString(1)}, older than the backup's {manifest.Source.ServerVersion}; restore into PostgreSQL {manifest.Source.ServerVersionNumber / 10000} or newer");
        }
        await using (var recovery = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
            if ((bool)(await recovery.ExecuteScalarAsync(ct))!)
                throw new RecoveryException($"the target {target} is a read-only standby in recovery; promote it first, or restore into another database with --target <connection string>");
        // One restore at a time into a database: the lock is the session's, held until the control connection closes.
        if (!await DatabaseConnection.ScalarAsync<bool>(connection, "SELECT pg_try_advisory_lock(hashtext('autovideo_dr.restore'), 0)", ct))
            throw new RecoveryException($"another restore into {target} is running; wait for it to end");
        await using (var leftovers = new NpgsqlCommand($"SELECT coalesce(string_agg(format('DROP SCHEMA %I CASCADE;', nspname), ''), '') FROM pg_namespace WHERE nspname LIKE '{StagingPrefix.Replace("_", "\\_")}%'", connection))
            if ((string)(await leftovers.ExecuteScalarAsync(ct))! is { Length: > 0 } drop)
                await DatabaseConnection.ExecuteAsync(connection, drop, ct);
        if (force) return;
        await using var content = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
                 + (SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
                 + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                    WHERE t.typtype IN ('e', 'd', 'r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema'))
                 + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
                 + (SELECT count(*) FROM pg_largeobject_metadata)
            """, connection);
        var objects = (long)(await content.ExecuteScalarAsync(ct))!;
        if (objects > 0)
            throw new RecoveryException($"the target {target} is not empty ({objects} objects); restore into an empty database, or pass --force to replace the objects the backup holds");
    }

    /// <summary>
    /// Refreshes the views that were populated on the source. A view over another can only be
    /// refreshed after it, so a refresh that finds its source unpopulated is undone to a savepoint
    /// and retried in the next round, until a round makes no progress.
    /// </summary>
    static async Task RefreshMaterializedViewsAsync(NpgsqlConnection connection, BackupManifest manifest, CancellationToken ct)
    {
        var pending = manifest.MaterializedViews.ToList();
        while (pending.Count > 0)
        {
            var failed = new List<ViewEntry>();
            PostgresException? last = null;
            foreach (var view in pending)
            {
                await using var refresh = new NpgsqlCommand($"SAVEPOINT refresh; REFRESH MATERIALIZED VIEW {view.QualifiedName}; RELEASE SAVEPOINT refresh", connection);
                try { await refresh.ExecuteNonQueryAsync(ct); }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
                {
                    await using var undo = new NpgsqlCommand("ROLLBACK TO SAVEPOINT refresh", connection);
                    await undo.ExecuteNonQueryAsync(ct);
                    failed.Add(view);
                    last = e;
                }
            }
            if (failed.Count == pending.Count) throw last!;
            pending = failed;
        }
    }

    static async Task RunScriptAsync(NpgsqlConnection connection, string script, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(SchemaScript.AsSql(script), connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    static async Task<string> ReadPartTextAsync(IBackupStore store, BackupManifest manifest, BackupPart part, Action<int>? onBytes, CancellationToken ct) =>
        await ReadPartAsync(store, manifest, part, onBytes, async (input, token) =>
        {
            using var text = new StreamReader(input, Encoding.UTF8);
            return await text.ReadToEndAsync(token);
        }, ct);

    /// <summary>
    /// Streams a part out of the store, decompressed, into <paramref name="consume"/>, checking its
    /// size and SHA-256 again on the way: a part changed since verify fails the restore (and rolls it back).
    /// </summary>
    static async Task<T> ReadPartAsync<T>(IBackupStore store, BackupManifest manifest, BackupPart part, Action<int>? onBytes, Func<Stream, CancellationToken, Task<T>> consume, CancellationToken ct)
    {
        BackupManifestFile.CheckPartPath(manifest.Name, part.Path);
        await using var digest = new DigestStream(await store.OpenReadAsync($"{manifest.Name}/{part.Path}", ct), onBytes: onBytes);
        T result;
        await using (var decompressed = manifest.PartCompression.Decompress(digest))
        {
            try { result = await consume(decompressed, ct); }
            catch (InvalidDataException e) { throw new RecoveryException($"backup {manifest.Name}: part {part.Path} is damaged ({e.Message})"); }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new RecoveryException($"backup {manifest.Name}: part {part.Path} could not be read to the end ({e.Message.Split('\n')[0]}); the restore was rolled back");
            }
        }
        await digest.CopyToAsync(Stream.Null, ct);
        if (digest.Count != part.Size || digest.Sha256() != part.Sha256)
            throw new RecoveryException($"backup {manifest.Name}: part {part.Path} changed while it was restored (size or SHA-256 no longer match the manifest)");
        return result;
    }
}
