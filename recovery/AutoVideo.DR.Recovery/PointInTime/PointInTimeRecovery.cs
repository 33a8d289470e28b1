using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>What a restore to <see cref="Target"/> will use: which repository and backup, inside which recoverable stretch.</summary>
public sealed record RestorePlan(RecoveryTarget Target, RecoverableWindow Window, RecoverableInterval Interval, PhysicalBackup Backup)
{
    public int Repository => Window.Repository;

    /// <summary>What recovery replays to (a time at or after the last archived commit is the end of the archive: the same data).</summary>
    public RecoveryTarget Effective => RecoverableWindow.Effective(Target, Interval);

    public string Describe() =>
        $"restore {Backup.Type.ToString().ToLowerInvariant()} backup {Backup.Label} (consistent from {RecoverableWindow.Moment(RecoverableWindow.ConsistentFrom(Backup))}) " +
        $"from repo{Repository} ({Window.Location}), then replay WAL to {Target.Describe()}" +
        (Effective != Target ? $" (nothing was committed between the last archived commit and it: the end of the archive)" : "") +
        $"; recoverable: {RecoverableWindow.Moment(Interval.Earliest)} to {RecoverableWindow.Moment(Interval.Latest)}";
}

/// <summary>Where a restore ended: the last commit it applied, the WAL position and timeline the promoted server started on, and what each part took.</summary>
public sealed record PointInTimeRestoreResult(
    RestorePlan Plan,
    string DataDirectory,
    int Port,
    DateTimeOffset? LastCommit,
    string Lsn,
    int Timeline,
    long RestoredBytes,
    TimeSpan RestoreDuration,
    TimeSpan RecoveryDuration)
{
    /// <summary>Restore of the files plus recovery until the server accepts writes: the RTO of this restore's database part.</summary>
    public TimeSpan TotalDuration => RestoreDuration + RecoveryDuration;
}

/// <summary>
/// Point-in-time recovery on pgBackRest: the recoverable window of every repository, the plan for a
/// target (checked against that window before anything is touched), the restore of a backup's files
/// into a directory, and the recovery that replays WAL to the target and promotes.
/// </summary>
public sealed partial class PointInTimeRecovery(PgBackRest pgbackrest, PostgresInstallation installation, ServerAccount account, ILogger logger)
{
    /// <summary>How far back from the end of a stretch a commit is looked for before the stretch is said to have none.</summary>
    const int SegmentsSearchedForCommit = 4;

    public PgBackRest PgBackRest => pgbackrest;

    /// <summary>
    /// The window of every repository, in repository order. A repository that cannot be read has a
    /// window with its <see cref="RecoverableWindow.Problem"/> instead of throwing: the next may serve.
    /// <paramref name="reference"/> is any data directory of the cluster (pgBackRest checks WAL it
    /// fetches against its pg_control). Without <paramref name="findLastCommit"/> the end of each stretch is
    /// its newest backup (enough to restore to the end of the archive, and it reads no WAL).
    /// </summary>
    public async Task<IReadOnlyList<RecoverableWindow>> WindowsAsync(PgNode reference, CancellationToken ct, bool findLastCommit = true)
    {
        var info = await pgbackrest.InfoAsync(ct);
        var windows = new List<RecoverableWindow>();
        foreach (var repository in pgbackrest.Setup.Repositories)
            windows.Add(await WindowAsync(info, repository, reference, findLastCommit, ct));
        return windows;
    }

    async Task<RecoverableWindow> WindowAsync(PgBackRestInfo info, PgBackRestRepository repository, PgNode reference, bool findLastCommit, CancellationToken ct)
    {
        var status = info.StatusOf(repository.Number);
        var backups = info.BackupsIn(repository.Number).ToList();
        // 2 is "no valid backups": readable, just empty.
        if (!status.Ok && status.Code != 2)
            return new RecoverableWindow(repository.Number, repository.Describe(), [], backups, null, Problem(repository, status.Message));
        if (backups.Count == 0) return new RecoverableWindow(repository.Number, repository.Describe(), [], backups, null, null);
        IReadOnlyList<ArchivedSegment> segments;
        try
        {
            segments = await pgbackrest.ArchivedSegmentsAsync(repository.Number, ct);
        }
        catch (RecoveryException e)
        {
            return new RecoverableWindow(repository.Number, repository.Describe(), [], backups, null, e.Message);
        }
        var continuity = ArchiveContinuity.Check(segments, WalSegment.Parse(backups[0].ArchiveStart));
        var intervals = new List<RecoverableInterval>();
        foreach (var group in backups.Select(b => (Backup: b, End: RunEnd(segments, WalSegment.Parse(b.ArchiveStart))))
                     // A backup whose own WAL (start to stop) is incomplete cannot be restored at all.
                     .Where(r => r.End is { } end && end.Number >= WalSegment.Parse(r.Backup.ArchiveStop).Number)
                     .GroupBy(r => r.End!.Value))
        {
            var members = group.Select(r => r.Backup).ToList();
            var (lastCommit, lastLsn) = findLastCommit ? await EndOfWalAsync(repository.Number, segments, group.Key, reference, ct) : (null, null);
            var earliest = RecoverableWindow.ConsistentFrom(members[0]);
            var newest = RecoverableWindow.ConsistentFrom(members[^1]);
            // Unsearched (or no record readable): recovery still replays every whole archived segment,
            // so the stretch reaches the end of the last one, not merely the newest backup's stop.
            intervals.Add(new RecoverableInterval(earliest, lastCommit is { } c && c > newest ? c : newest, lastCommit,
                Lsn.Parse(members[0].StopLsn), lastLsn ?? Math.Max(Lsn.Parse(members[^1].StopLsn), (group.Key.Number + 1) * (ulong)WalSegment.Size), members, group.Key));
        }
        return new RecoverableWindow(repository.Number, repository.Describe(), intervals.OrderBy(i => i.Earliest).ToList(), backups, continuity, null);
    }

    /// <summary>
    /// The last segment recovery reaches from <paramref name="start"/> without a gap, following the
    /// newest timeline at each number (as recovery_target_timeline = latest does) and never going back
    /// to an older one: segments an abandoned timeline kept after a fork are not on the path.
    /// </summary>
    internal static WalSegment? RunEnd(IReadOnlyList<ArchivedSegment> segments, WalSegment start)
    {
        var timelines = segments.GroupBy(s => s.Segment.Number).ToDictionary(g => g.Key, g => g.Select(s => s.Segment.Timeline).ToList());
        WalSegment? last = null;
        var timeline = start.Timeline;
        for (var n = start.Number; timelines.TryGetValue(n, out var present); n++)
        {
            var candidates = present.Where(t => t >= timeline).ToList();
            if (candidates.Count == 0) break;
            timeline = candidates.Max();
            last = new WalSegment(timeline, n);
        }
        return last;
    }

    /// <summary>The time of the last commit (or abort) and the position of the last record in the WAL up to <paramref name="end"/>.</summary>
    async Task<(DateTimeOffset? Commit, ulong? Lsn)> EndOfWalAsync(int repository, IReadOnlyList<ArchivedSegment> segments, WalSegment end, PgNode reference, CancellationToken ct)
    {
        var scratch = Path.Combine(pgbackrest.Setup.ScratchPath, Guid.NewGuid().ToString("N")[..8]);
        await account.GiveToServerAsync(scratch, ct);
        try
        {
            ulong? lastLsn = null;
            for (var back = 0; back < SegmentsSearchedForCommit && end.Number >= (ulong)back; back++)
            {
                var number = end.Number - (ulong)back;
                var segment = segments.Where(s => s.Segment.Number == number && s.Segment.Timeline <= end.Timeline).Select(s => s.Segment).DefaultIfEmpty().Max();
                if (segment.Timeline == 0) break;
                var file = Path.Combine(scratch, segment.Name);
                await pgbackrest.ArchiveGetAsync(repository, reference, segment, file, ct);
                var (commit, lsn) = await DumpAsync(file, ct);
                File.Delete(file);
                lastLsn ??= lsn;
                if (commit is not null) return (commit, lastLsn);
            }
            return (null, lastLsn);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>pg_waldump over one segment: the last commit/abort time and the last record's LSN.</summary>
    async Task<(DateTimeOffset? Commit, ulong? Lsn)> DumpAsync(string file, CancellationToken ct)
    {
        var info = account.StartInfo(installation.Program("pg_waldump"), [file]);
        // Commit times print in the dumping process's zone: pin it.
        info.Environment["TZ"] = "UTC";
        // pg_waldump ends with an error at the end of valid WAL in the segment; what it printed is the answer.
        var result = await ProcessRunner.RunAsync(info, ct, allowFailure: true);
        DateTimeOffset? commit = null;
        ulong? lsn = null;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (RecordLsn().Match(line) is { Success: true } l) lsn = Lsn.Parse(l.Groups[1].Value);
            if (CommitTime().Match(line) is { Success: true } c)
                commit = DateTimeOffset.ParseExact(c.Groups[1].Value, ["yyyy-MM-dd HH:mm:ss.FFFFFF"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        }
        return (commit, lsn);
    }

    [GeneratedRegex(@"\blsn: ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex RecordLsn();

    [GeneratedRegex(@"desc: (?:COMMIT|ABORT)\S* (?:\d+: )?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC")]
    private static partial Regex CommitTime();

    /// <summary>
    /// Chooses the repository and backup for <paramref name="target"/>: the first repository (repo1 is the
    /// local copy, repo2 the off-site one) whose window holds it. Refuses in one line naming the
    /// window when none does; touches nothing.
    /// </summary>
    public async Task<RestorePlan> PlanAsync(RecoveryTarget target, PgNode reference, int? repository, CancellationToken ct)
    {
        // An unknown repository number is refused here, naming the ones there are.
        if (repository is { } number) pgbackrest.Setup.Repository(number);
        // The end of the archive needs no commit time: the WAL is not read for it.
        var windows = (await WindowsAsync(reference, ct, findLastCommit: target is not RecoveryTarget.Latest)).Where(w => repository is null || w.Repository == repository).ToList();
        foreach (var window in windows)
            if (window.Locate(target) is { } found) return new RestorePlan(target, window, found.Interval, found.Backup);
        throw new RecoveryException(Refusal(target, windows));
    }

    internal static string Refusal(RecoveryTarget target, IReadOnlyList<RecoverableWindow> windows)
    {
        var readable = windows.Where(w => w.Problem is null).ToList();
        if (readable.Count == 0)
            return $"cannot restore to {target.Describe()}: no repository can be read ({string.Join("; ", windows.Select(w => w.Describe()))})";
        if (readable.All(w => w.IsEmpty))
            return $"cannot restore to {target.Describe()}: {string.Join("; ", windows.Select(w => w.Describe()))}; take one with 'autovideo-dr backup --physical'";
        var gap = readable.Select(w => w.Archive).FirstOrDefault(a => a is { Missing.Count: > 0 });
        var why = target switch
        {
            RecoveryTarget.Time t when readable.Where(w => !w.IsEmpty).All(w => t.Moment < w.Earliest) => "it is before the oldest backup",
            RecoveryTarget.Time t when gap is not null => $"WAL segment {gap.Missing[0]} is missing from the archive, so nothing after it can be replayed",
            RecoveryTarget.Time => "it is later than anything the archive holds; --to latest restores everything archived",
            RecoveryTarget.Lsn when gap is not null => $"WAL segment {gap.Missing[0]} is missing from the archive",
            _ => "it lies outside the archive",
        };
        return $"{target.Describe()} is outside the recoverable window ({why}); recoverable: {string.Join("; ", windows.Select(w => w.Describe()))}";
    }

    static string Problem(PgBackRestRepository repository, string message) =>
        PgBackRest.Classify(message) switch
        {
            PgBackRestFailure.Unreachable => $"unreachable: {Short(message)}",
            PgBackRestFailure.WrongPassphrase => "cannot be decrypted with this cipher passphrase (wrong passphrase, or not this environment's repository)",
            _ => Short(message),
        };

    static string Short(string message)
    {
        var clean = Regex.Replace(message, @"[^\u0020-\u007E]", "").Split("HINT:")[0];
        clean = Regex.Replace(clean, @"\s+", " ").Trim();
        return clean.Length > 200 ? clean[..200] + "…" : clean;
    }

    /// <summary>
    /// Restores the plan's backup into <paramref name="directory"/> (absent or empty). Nothing else is
    /// touched; a failure (a damaged file, a wrong passphrase, a lost store) removes what was written.
    /// </summary>
    public async Task<(long Bytes, TimeSpan Duration)> RestoreFilesAsync(RestorePlan plan, string directory, CancellationToken ct)
    {
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new RecoveryException($"{directory} is not empty; accepted: a new or empty directory to restore into");
        var created = !Directory.Exists(directory);
        await account.GiveToServerAsync(directory, ct, isDataDirectory: true);
        var clock = Stopwatch.StartNew();
        try
        {
            logger.LogInformation("pgbackrest restore {Label} from repo{Repository} into {Directory}", plan.Backup.Label, plan.Repository, directory);
            await pgbackrest.RestoreAsync(directory, plan.Repository, plan.Backup.Label, plan.Effective, ct);
        }
        catch (RecoveryException e)
        {
            Remove(directory, keepDirectory: !created);
            throw new RecoveryException($"{e.Message} (restoring backup {plan.Backup.Label}; 'autovideo-dr backups verify' checks every backup and WAL segment)", e);
        }
        catch
        {
            Remove(directory, keepDirectory: !created);
            throw;
        }
        return (plan.Backup.DatabaseSize, clock.Elapsed);
    }

    /// <summary>
    /// Starts the restored server and waits until it has replayed to the target and promoted (it then
    /// accepts writes). A server that stops on the way (WAL missing or damaged, target not reached)
    /// is a one-line error with its log's reason; the caller removes what it restored.
    /// </summary>
    public async Task<(DateTimeOffset? LastCommit, string Lsn, int Timeline, TimeSpan Duration)> RecoverAsync(PostgresServer server, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await server.StartAsync(ct);
            var connection = server.ConnectionString("postgres");
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (!server.IsRunning())
                    throw new RecoveryException($"the restored server stopped during recovery: {server.LastLogProblem() ?? "no reason in its log"} (log: {server.LogFile})");
                try
                {
                    if (await DatabaseConnection.ScalarAsync<bool>(connection, "SELECT NOT pg_is_in_recovery()", ct)) break;
                }
                catch (RecoveryException) when (server.IsRunning())
                {
                    // Between startup and consistency the server refuses connections: keep waiting.
                }
                await Task.Delay(100, ct);
            }
            await using var session = await DatabaseConnection.OpenAsync(connection, "restored", ct);
            var lastCommit = await DatabaseConnection.ScalarAsync<DateTime?>(session, "SELECT pg_last_xact_replay_timestamp()", ct);
            var lsn = await DatabaseConnection.ScalarAsync<string>(session, "SELECT pg_current_wal_lsn()::text", ct);
            var timeline = await DatabaseConnection.ScalarAsync<int>(session, "SELECT timeline_id FROM pg_control_checkpoint()", ct);
            return (lastCommit is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : null, lsn!, timeline, clock.Elapsed);
        }
        catch
        {
            await server.StopAsync(CancellationToken.None, mode: "immediate");
            throw;
        }
    }

    /// <summary>
    /// A restore beside the environment (to look at the data as it was, or copy rows back): files into
    /// <paramref name="directory"/>, archiving off (it must never push a timeline of its own into the
    /// environment's archive), started on <paramref name="port"/>, recovered and promoted, left running.
    /// On any failure nothing is left: no server, no directory.
    /// </summary>
    public async Task<PointInTimeRestoreResult> RestoreIntoDirectoryAsync(RestorePlan plan, string directory, int port, CancellationToken ct)
    {
        var created = !Directory.Exists(directory);
        var (bytes, restoreDuration) = await RestoreFilesAsync(plan, directory, ct);
        var server = new PostgresServer(installation, account, directory, port, Path.Combine(directory, "log", "restore.log"));
        try
        {
            await File.AppendAllTextAsync(Path.Combine(directory, "postgresql.auto.conf"),
                "\n# autovideo-dr: a restore beside the environment never archives into the environment's repositories\narchive_mode = 'off'\n", ct);
            await account.GiveToServerAsync(Path.Combine(directory, "log"), ct);
            await account.GiveToServerAsync(directory, ct, isDataDirectory: true);
            var (lastCommit, lsn, timeline, recoveryDuration) = await RecoverAsync(server, ct);
            return new PointInTimeRestoreResult(plan, directory, port, lastCommit, lsn, timeline, bytes, restoreDuration, recoveryDuration);
        }
        catch
        {
            await server.StopAsync(CancellationToken.None, mode: "immediate");
            Remove(directory, keepDirectory: !created);
            throw;
        }
    }

    /// <summary>
    /// Removes pgBackRest's recovery settings (restore_command with the staging path, the target)
    /// from postgresql.auto.conf once the server has promoted: the node's own settings take over.
    /// </summary>
    public static async Task ClearRecoverySettingsAsync(string dataDirectory, CancellationToken ct)
    {
        var path = Path.Combine(dataDirectory, "postgresql.auto.conf");
        if (!File.Exists(path)) return;
        var lines = await File.ReadAllLinesAsync(path, ct);
        var kept = lines.Where(l => !RecoverySetting().IsMatch(l)).ToList();
        if (kept.Count != lines.Length) await File.WriteAllLinesAsync(path, kept, ct);
    }

    [GeneratedRegex(@"^\s*(restore_command|recovery_target\w*)\s*=")]
    private static partial Regex RecoverySetting();

    internal static void Remove(string directory, bool keepDirectory)
    {
        if (!Directory.Exists(directory)) return;
        if (!keepDirectory)
        {
            Directory.Delete(directory, recursive: true);
            return;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }
}
