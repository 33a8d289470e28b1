using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>
/// One local environment with a history worth restoring, shared by the collection: after the first
/// full backup (taken by local up), 100 rows are committed (<see cref="AfterFirstRows"/>, at
/// <see cref="FirstRowsLsn"/>), then 50 more (<see cref="AfterMoreRows"/>), then a "bad migration"
/// empties the table. Everything is archived before the tests run. Tests restore beside the
/// environment (new directories) or into copies of its repository; none changes it.
/// </summary>
public sealed class PointInTimeFixture : IAsyncLifetime
{
    OwnEnvironment environment = null!;

    public LocalEnvironmentState State => environment.State;
    public string WorkDirectory => environment.WorkDirectory;
    public string Primary => State.Describe().Primary!.ConnectionString;
    public DateTimeOffset AfterFirstRows { get; private set; }
    public DateTimeOffset AfterMoreRows { get; private set; }
    public DateTimeOffset Damage { get; private set; }
    public string FirstRowsLsn { get; private set; } = "";
    /// <summary>The WAL segment the first 100 rows were committed in (after the full backup's).</summary>
    public string FirstRowsSegment { get; private set; } = "";

    public LocalPointInTime Pitr => new(WorkDirectory, NullLoggerFactory.Instance);

    public async Task InitializeAsync()
    {
        environment = await OwnEnvironment.StartAsync();
        await PastFirstBackupAsync(Primary, Pitr);
        await Sql.ExecuteAsync(Primary, "SELECT pg_switch_wal()");
        await Sql.ExecuteAsync(Primary, "CREATE TABLE ledger(id int PRIMARY KEY, note text); INSERT INTO ledger SELECT g, 'first ' || g FROM generate_series(1, 100) g");
        FirstRowsLsn = await Sql.ScalarAsync<string>(Primary, "SELECT pg_current_wal_insert_lsn()::text");
        FirstRowsSegment = await Sql.ScalarAsync<string>(Primary, $"SELECT pg_walfile_name('{FirstRowsLsn}')");
        AfterFirstRows = await ClockAsync();
        // Each phase in a segment of its own: a segment missing from the middle of the archive can be told from one not archived yet.
        await Sql.ExecuteAsync(Primary, "SELECT pg_switch_wal()");
        await Task.Delay(200);
        await Sql.ExecuteAsync(Primary, "INSERT INTO ledger SELECT g, 'more ' || g FROM generate_series(101, 150) g");
        AfterMoreRows = await ClockAsync();
        await Sql.ExecuteAsync(Primary, "SELECT pg_switch_wal()");
        await Task.Delay(200);
        await Sql.ExecuteAsync(Primary, "TRUNCATE ledger");
        Damage = await ClockAsync();
        await ArchiveEverythingAsync(Primary, Pitr);
    }

    Task<DateTimeOffset> ClockAsync() => ClockAsync(Primary);

    /// <summary>The server's clock, in UTC: the moments a restore is asked for are the server's.</summary>
    public static async Task<DateTimeOffset> ClockAsync(string connection) =>
        new(DateTime.SpecifyKind(await Sql.ScalarAsync<DateTime>(connection, "SELECT clock_timestamp() AT TIME ZONE 'UTC'"), DateTimeKind.Utc));

    /// <summary>A moment as --to-time takes it, to the microsecond.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits until the server's clock has passed the first moment the first backup can be restored to
    /// (its recorded stop second, plus one): commits made earlier are before the window.
    /// </summary>
    public static async Task PastFirstBackupAsync(string primary, LocalPointInTime pitr)
    {
        var earliest = (await pitr.WindowsAsync(default))[0].Earliest!.Value;
        await Sql.EventuallyAsync(async () => await ClockAsync(primary) > earliest,
            "the clock passing the first backup's consistency point", seconds: 10);
    }

    /// <summary>
    /// Switches WAL and waits until the archive's window holds everything written before: its last record
    /// is at or past the insert position before the switch. Not by the clock: the window ends at the last
    /// archived commit, and a clock read after that commit on a new session came more than any margin later
    /// under load, so the window never reached it (CI: 60 s).
    /// </summary>
    public static async Task ArchiveEverythingAsync(string primary, LocalPointInTime pitr)
    {
        var written = Lsn.Parse(await Sql.ScalarAsync<string>(primary, "SELECT pg_current_wal_insert_lsn()::text"));
        await Sql.ExecuteAsync(primary, "SELECT pg_switch_wal()");
        await Sql.EventuallyAsync(async () => (await pitr.WindowsAsync(default))[0].LatestLsn >= written, "the archive reaching the last commit", seconds: 60);
    }

    /// <summary>A new directory under /tmp for a restore beside the environment.</summary>
    public static string NewDataDirectory(TemporaryDirectory within) => within.Combine("restored");

    public async Task DisposeAsync() => await environment.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PointInTimeCollection : ICollectionFixture<PointInTimeFixture>
{
    public const string Name = "point in time";
}

/// <summary>
/// A copy of an environment's repository and pgBackRest setup in a working directory of its own
/// (its nodes are the original's, only read for pg_control), for tests that damage a repository.
/// </summary>
public sealed class RepositoryCopy : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public string WorkDirectory => directory.Path;
    public string Repository => directory.Combine("backups", PgBackRestRepository.Folder);

    public static async Task<RepositoryCopy> OfAsync(LocalEnvironmentState original, Func<PgBackRestSetup, PgBackRestSetup>? change = null)
    {
        var copy = new RepositoryCopy();
        Copy(original.BackupDirectory, copy.directory.Combine("backups"));
        Copy(original.ArchiveDirectory, copy.directory.Combine("pgbackrest"));
        foreach (var file in new[] { "setup.json", "pgbackrest.conf" })
        {
            var path = copy.directory.Combine("pgbackrest", file);
            await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace(original.WorkDirectory, copy.WorkDirectory));
        }
        if (change is not null)
        {
            var setup = change(PgBackRestSetup.Load(copy.directory.Combine("pgbackrest")));
            var passphrase = (await File.ReadAllLinesAsync(setup.ConfigFile)).First(l => l.StartsWith("repo1-cipher-pass="))["repo1-cipher-pass=".Length..];
            await File.WriteAllTextAsync(setup.ConfigFile, setup.ConfigText(passphrase, new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "AKIATEST", ["AWS_SECRET_ACCESS_KEY"] = "test" }));
            await File.WriteAllTextAsync(copy.directory.Combine("pgbackrest", "setup.json"), System.Text.Json.JsonSerializer.Serialize(setup, new System.Text.Json.JsonSerializerOptions
            {
                PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
                Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
            }));
        }
        (original with { WorkDirectory = copy.WorkDirectory, ArchiveDirectory = copy.directory.Combine("pgbackrest"), BackupDirectory = copy.directory.Combine("backups") }).Save();
        await ServerAccount.Current().GiveToServerAsync(copy.WorkDirectory, default);
        return copy;
    }

    static void Copy(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            // The running environment's sockets, locks (held by its archiver) and spool are not part of a repository.
            var relative = "/" + Path.GetRelativePath(from, file);
            if (new[] { "/socket/", "/lock/", "/spool/" }.Any(relative.StartsWith)) continue;
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    public void Dispose() => directory.Dispose();
}
