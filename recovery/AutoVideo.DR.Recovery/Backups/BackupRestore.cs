using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>How a restore runs: Force restores into a non-empty target, dropping the backup's schemas and the target's large objects first.</summary>
public sealed record RestoreOptions(bool Force = false, IProgress<TransferProgress>? Progress = null);

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
/// </summary>
public sealed record RestoreResult(
    string Name, string Target, SnapshotPoint Snapshot, TimeSpan BackupAge, long BytesRead,
    IReadOnlyList<RestoredTableCheck> Tables, TimeSpan Duration, bool Passed, string? NotRecorded = null)
{
    /// <summary>The one way a failed verification is told, wherever the restore ran from (CLI, runbook, drill).</summary>
    public string FailureMessage =>
        $"restore of {Name} into {Target} did not match its manifest for {Tables.Count(t => !t.Passed)} table(s) ({string.Join(", ", Tables.Where(t => !t.Passed).Select(t => t.Table))}); it was rolled back and the target is as it was";
}

/// <summary>
/// Restores a backup into a target database. The backup is verified (manifest seal, every part's
/// size and SHA-256) before the target is touched. Everything then happens in ONE transaction:
/// schema, data, large objects, sequences, indexes, and the per-table check against the manifest;
/// a failure or interruption anywhere rolls all of it back, so a re-run starts from the same state
/// and ends identical to an uninterrupted restore, and a mismatch is never committed.
/// </summary>
public sealed class BackupRestore(ILogger<BackupRestore> logger)
{
    const string LargeObjectsName = "(large objects)";

    public async Task<RestoreResult> RestoreAsync(IBackupStore store, string nameOrLatest, string targetConnectionString, RestoreOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var manifest = await new BackupCatalog(store).ResolveAsync(nameOrLatest, ct);
        var report = await BackupVerifier.VerifyAsync(store, manifest, null, ct);
        logger.LogDebug("Verified {Parts} parts in {Seconds:0.00} s", report.Parts.Count, clock.Elapsed.TotalSeconds);
        if (!report.Passed)
            throw new RecoveryException($"{report.Problem}; refusing to restore it (nothing was written to the target)");

        var target = DatabaseConnection.Describe(targetConnectionString);
        await EnsureDatabaseAsync(targetConnectionString, ct);
        await using var connection = await BackupSession.OpenAsync(targetConnectionString, "target", ct);
        try
        {
            await RefuseUnsuitableTargetAsync(connection, target, manifest, options.Force, ct);
            logger.LogInformation("Restoring {Name} into {Target}", manifest.Name, target);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var tracker = new ProgressTracker("restore", manifest.TotalSize, manifest.Tables.Count, options.Progress);
            // Index builds of the post-data section are the longest step after the data; give them room.
            await using (var memory = new NpgsqlCommand("SET LOCAL maintenance_work_mem = '256MB'", connection)) await memory.ExecuteNonQueryAsync(ct);
            if (options.Force) await DropRestoredSchemasAsync(connection, manifest, ct);
            await RunScriptAsync(connection, await ReadPartTextAsync(store, manifest, manifest.PartOfKind(BackupPart.PreData), tracker, ct), ct);
            await TableFingerprint.ApplySessionSettingsAsync(connection, ct);
            logger.LogDebug("Schema (pre-data) created at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);
            foreach (var table in manifest.Tables)
            {
                await CopyTableAsync(connection, store, manifest, table, tracker, ct);
                tracker.TableDone();
            }
            if (manifest.LargeObjects.Part is { } lobPath)
                await ReadPartAsync(store, manifest, manifest.Part(lobPath), tracker, (input, token) => LargeObjectArchive.RestoreAsync(connection, input, options.Force, token), ct);
            foreach (var sequence in manifest.Sequences)
            {
                await using var setval = new NpgsqlCommand("SELECT setval($1::regclass, $2, $3)", connection);
                setval.Parameters.AddWithValue($"{SqlIdentifier.Quote(sequence.Schema)}.{SqlIdentifier.Quote(sequence.Name)}");
                setval.Parameters.AddWithValue(sequence.LastValue);
                setval.Parameters.AddWithValue(sequence.IsCalled);
                await setval.ExecuteNonQueryAsync(ct);
            }
            logger.LogDebug("Data, large objects and sequences loaded at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);
            await RunScriptAsync(connection, await ReadPartTextAsync(store, manifest, manifest.PartOfKind(BackupPart.PostData), tracker, ct), ct);
            await RefreshMaterializedViewsAsync(connection, manifest, ct);
            await TableFingerprint.ApplySessionSettingsAsync(connection, ct);
            logger.LogDebug("Indexes and constraints (post-data) built, materialized views refreshed at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);

            var checks = new List<RestoredTableCheck>();
            foreach (var table in manifest.Tables)
            {
                var (rows, fingerprint) = await TableFingerprint.OfTableAsync(connection, table, ct);
                checks.Add(new RestoredTableCheck(table.DisplayName, table.Rows, rows, table.Fingerprint, fingerprint));
            }
            var (count, lobFingerprint) = await TableFingerprint.OfLargeObjectsAsync(connection, ct);
            if (manifest.LargeObjects.Count > 0 || count > 0)
                checks.Add(new RestoredTableCheck(LargeObjectsName, manifest.LargeObjects.Count, count, manifest.LargeObjects.Fingerprint, lobFingerprint));

            logger.LogDebug("Tables read back and compared at {Seconds:0.00} s", clock.Elapsed.TotalSeconds);
            var passed = checks.All(c => c.Passed);
            string? notRecorded = null;
            if (passed)
            {
                // In the restore's own transaction: the data and the record of it commit together.
                notRecorded = await RestoreRecord.WriteAsync(connection, manifest.Name, ct);
                await transaction.CommitAsync(ct);
            }
            else await transaction.RollbackAsync(ct);
            logger.LogInformation("Restore of {Name} into {Target}: {Outcome}", manifest.Name, target, passed ? "committed" : "rolled back (verification failed)");
            return new RestoreResult(manifest.Name, target, manifest.Snapshot, DateTimeOffset.UtcNow - manifest.Snapshot.Time,
                manifest.TotalSize, checks, clock.Elapsed, passed, notRecorded);
        }
        catch (NpgsqlException e)
        {
            throw new RecoveryException($"restore of {manifest.Name} into {target} failed and was rolled back: {DatabaseConnection.Message(e)}", e);
        }
    }

    /// <summary>
    /// Creates the target database when it does not exist yet (CREATE DATABASE cannot run inside the
    /// restore's transaction). An existing database is used as it is, without needing the server's
    /// maintenance database.
    /// </summary>
    static async Task EnsureDatabaseAsync(string targetConnectionString, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(targetConnectionString) { Pooling = false };
        var database = builder.Database ?? throw new RecoveryException("the target connection string names no database (Database=...)");
        try
        {
            await using var probe = await DatabaseConnection.OpenAsync(builder.ConnectionString, "target", ct);
            return;
        }
        catch (RecoveryException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName })
        {
            // Does not exist yet: create it below.
        }
        catch (RecoveryException)
        {
            return; // reported with a clear message by the connection that follows
        }
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
    /// --force: the backup's schemas are dropped with everything in them and recreated by its script,
    /// and the target's large objects give way to the backup's (they belong to no schema; any left
    /// behind would also make the large-object check fail).
    /// </summary>
    static async Task DropRestoredSchemasAsync(NpgsqlConnection connection, BackupManifest manifest, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata;");
        foreach (var schema in manifest.Schemas) sql.Append($"DROP SCHEMA IF EXISTS {SqlIdentifier.Quote(schema)} CASCADE;");
        // pg_dump does not create the standard public schema; everything else it creates itself.
        if (manifest.Schemas.Contains("public")) sql.Append("CREATE SCHEMA public AUTHORIZATION pg_database_owner;");
        await using var drop = new NpgsqlCommand(sql.ToString(), connection);
        await drop.ExecuteNonQueryAsync(ct);
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

    static async Task CopyTableAsync(NpgsqlConnection connection, IBackupStore store, BackupManifest manifest, TableEntry table, ProgressTracker tracker, CancellationToken ct)
    {
        var columns = TableFingerprint.ColumnList(table.Columns);
        // FREEZE: the table was created in this transaction, so rows can be written frozen (no later rewrite by vacuum).
        await ReadPartAsync(store, manifest, manifest.Part(table.Part), tracker, async (input, token) =>
        {
            await using var copy = await connection.BeginTextImportAsync($"COPY {table.QualifiedName}{columns} FROM STDIN WITH (FREEZE)", token);
            await CopyText.FromBytesAsync(input, copy, token);
            return 0;
        }, ct);
    }

    static async Task<string> ReadPartTextAsync(IBackupStore store, BackupManifest manifest, BackupPart part, ProgressTracker tracker, CancellationToken ct) =>
        await ReadPartAsync(store, manifest, part, tracker, async (input, token) =>
        {
            using var text = new StreamReader(input, Encoding.UTF8);
            return await text.ReadToEndAsync(token);
        }, ct);

    /// <summary>
    /// Streams a part out of the store, decompressed, into <paramref name="consume"/>, checking its
    /// size and SHA-256 again on the way: a part changed since verify fails the restore (and rolls it back).
    /// </summary>
    static async Task<T> ReadPartAsync<T>(IBackupStore store, BackupManifest manifest, BackupPart part, ProgressTracker tracker, Func<Stream, CancellationToken, Task<T>> consume, CancellationToken ct)
    {
        BackupManifestFile.CheckPartPath(manifest.Name, part.Path);
        await using var digest = new DigestStream(await store.OpenReadAsync($"{manifest.Name}/{part.Path}", ct), onBytes: n => tracker.Bytes(n));
        T result;
        await using (var gzip = new GZipStream(digest, CompressionMode.Decompress, leaveOpen: true))
        {
            try { result = await consume(gzip, ct); }
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
