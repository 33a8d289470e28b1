using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>
/// Restores to a moment, a WAL position and the end of the archive beside the shared environment,
/// through the CLI; the window, the listing and verify; and every bad input stopping the restore in
/// one line with the target left as it was.
/// </summary>
[Collection(PointInTimeCollection.Name)]
public sealed class PointInTimeRestoreTests(PointInTimeFixture fixture) : IAsyncLifetime
{
    readonly TemporaryDirectory scratch = new();
    readonly List<string> started = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var directory in started)
            await LocalEnvironment.Server(null, ServerAccount.Current(), new LocalNodeState("restored", 0, directory, "", NodeRole.Primary)).StopAsync(default, mode: "immediate");
        scratch.Dispose();
    }

    /// <summary>Contains, showing the whole text when it fails (errors are one long line).</summary>
    static void Has(string expected, string actual) => Assert.True(actual.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in: {actual}");

    static string Iso(DateTimeOffset t) => PointInTimeFixture.Iso(t);

    Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", fixture.WorkDirectory]);

    /// <summary>Restores beside the environment and returns the restored server's connection string.</summary>
    async Task<(string Connection, JsonElement Result)> RestoreBesideAsync(params string[] target)
    {
        var directory = PointInTimeFixture.NewDataDirectory(scratch);
        started.Add(directory);
        var result = await Cli(["restore", .. target, "--target", directory, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Out).RootElement.Clone();
        return (PostgresServer.ConnectionString(json.GetProperty("port").GetInt32(), fixture.State.Database), json);
    }

    [Fact]
    public async Task Local_up_archives_through_pgbackrest_into_an_encrypted_repository_with_a_first_full_backup()
    {
        var archiveCommand = await Sql.ScalarAsync<string>(fixture.Primary, "SHOW archive_command");
        Assert.Contains("pgbackrest\" --config=", archiveCommand);
        Assert.Contains($"--pg1-path=\"{fixture.State.NodeWithRole(NodeRole.Primary).DataDirectory}\"", archiveCommand);
        Assert.EndsWith("archive-push \"%p\"", archiveCommand);
        var info = await fixture.Pitr.InfoAsync(default);
        Assert.Contains(info.Backups, b => b.Type == PhysicalBackupType.Full && b.Repository == 1);

        var setup = fixture.Pitr.Setup;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(setup.ConfigFile));
        var passphrase = (await File.ReadAllLinesAsync(setup.ConfigFile)).Single(l => l.StartsWith("repo1-cipher-pass="))["repo1-cipher-pass=".Length..];
        Assert.True(passphrase.Length >= 40);
        foreach (var file in Directory.EnumerateFiles(fixture.WorkDirectory, "*", SearchOption.AllDirectories).Where(f => f != setup.ConfigFile && !f.Contains("/pg-") && !f.Contains("/socket/")))
            Assert.DoesNotContain(passphrase, await File.ReadAllTextAsync(file));
        // The repository's files are ciphertext (openssl's salted format), never the plain WAL.
        var segment = Directory.EnumerateFiles(Path.Combine(fixture.State.BackupDirectory, "pgbackrest", "archive"), "*.zst", SearchOption.AllDirectories).First();
        Assert.Equal("Salted__"u8.ToArray(), (await File.ReadAllBytesAsync(segment))[..8]);
    }

    [Fact]
    public async Task A_restore_to_a_moment_before_the_bad_migration_has_every_row_committed_by_then_and_none_after()
    {
        var (connection, json) = await RestoreBesideAsync("--to-time", Iso(fixture.AfterFirstRows));

        Assert.Equal(100, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM ledger"));
        Assert.Equal(0, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM ledger WHERE note LIKE 'more%'"));
        Assert.False(await Sql.ScalarAsync<bool>(connection, "SELECT pg_is_in_recovery()"));
        // Beside the environment it must never push a timeline of its own into the environment's archive.
        Assert.Equal("off", await Sql.ScalarAsync<string>(connection, "SHOW archive_mode"));
        Assert.True(json.GetProperty("lastCommit").GetDateTimeOffset() <= fixture.AfterFirstRows);
        Assert.True(json.GetProperty("restoreSeconds").GetDouble() > 0 && json.GetProperty("recoverySeconds").GetDouble() > 0);
        // The environment is as it was: damage on the primary, the standby replaying it.
        Assert.Equal(0, await Sql.ScalarAsync<long>(fixture.Primary, "SELECT count(*) FROM ledger"));
        Assert.True(await Sql.ScalarAsync<bool>(fixture.State.Describe().Standby!.ConnectionString, "SELECT pg_is_in_recovery()"));
        // What the lead's RTO accounting reads: how long this restore took, part by part.
        var last = fixture.Pitr.LastRestore()!;
        Assert.Equal(json.GetProperty("dataDirectory").GetString(), last.Node);
        Assert.Equal(json.GetProperty("totalSeconds").GetDouble(), last.TotalSeconds, precision: 3);
    }

    [Fact]
    public async Task A_restore_between_two_commits_stops_before_the_second()
    {
        var (connection, _) = await RestoreBesideAsync("--to-time", Iso(fixture.AfterMoreRows));
        Assert.Equal(150, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM ledger"));
    }

    [Fact]
    public async Task A_restore_to_an_lsn_replays_up_to_that_position()
    {
        var (connection, _) = await RestoreBesideAsync("--to-lsn", fixture.FirstRowsLsn);
        Assert.Equal(100, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM ledger"));
    }

    [Fact]
    public async Task A_restore_to_latest_replays_everything_archived_the_damage_included()
    {
        var (connection, _) = await RestoreBesideAsync("--to", "latest");
        Assert.Equal(0, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM ledger"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM pg_class WHERE relname = 'ledger'"));
    }

    [Theory]
    [InlineData(-1, "it is before the oldest backup")]
    [InlineData(1, "it is later than anything the archive holds; --to latest restores everything archived")]
    public async Task A_moment_outside_the_window_is_refused_in_one_line_that_says_what_the_window_is(int days, string why)
    {
        var directory = PointInTimeFixture.NewDataDirectory(scratch);
        var result = await Cli("restore", "--to-time", Iso(DateTimeOffset.UtcNow.AddDays(days)), "--target", directory);

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Has($"is outside the recoverable window ({why}); recoverable: repo1 ({fixture.State.BackupDirectory}/pgbackrest): ", error);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}Z to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}Z \(LSN [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+\)", error);
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task The_window_runs_from_the_first_backups_consistency_to_the_last_archived_commit()
    {
        var window = Assert.Single(await fixture.Pitr.WindowsAsync(default));
        var full = window.Backups.First(b => b.Type == PhysicalBackupType.Full);

        Assert.Equal(RecoverableWindow.ConsistentFrom(full), window.Earliest);
        // The truncate is the last commit: at or just before the clock read right after it.
        Assert.InRange(window.Latest!.Value, fixture.AfterMoreRows, fixture.Damage);
        Assert.True(window.Archive!.Intact, window.Archive.Describe());
    }

    [Fact]
    public async Task Backups_list_shows_the_physical_backups_with_their_recoverable_range_and_verify_runs_pgbackrests_verify()
    {
        var list = await Cli("backups", "list", "--json", "--metrics-file", scratch.Combine("m.prom"));
        Assert.True(list.ExitCode == 0, list.ToString());
        var physical = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "physical").ToList();
        var full = Assert.Single(physical, e => e.GetProperty("type").GetString() == "full");
        Assert.True(full.GetProperty("recoverableFrom").GetDateTimeOffset() < fixture.AfterFirstRows);
        Assert.True(full.GetProperty("recoverableTo").GetDateTimeOffset() >= fixture.AfterMoreRows);

        var text = await Cli("backups", "list", "--metrics-file", scratch.Combine("m.prom"));
        Assert.Contains("physical backups (pgBackRest):", text.Out);
        Assert.Contains("recoverable: repo1", text.Out);

        var verify = await Cli("backups", "verify", "--metrics-file", scratch.Combine("m.prom"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Has("repo1 (" + fixture.State.BackupDirectory + "/pgbackrest): pgbackrest verify found every backup file and WAL segment intact", verify.Out);
    }

    [Fact]
    public async Task A_dry_run_names_the_backup_and_the_window_and_changes_nothing()
    {
        var result = await Cli("restore", "--to-time", Iso(fixture.AfterFirstRows), "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("would restore full backup ", result.Out);
        Assert.Contains("once the copy accepts writes the primary pg-a is fenced", result.Out);
        Assert.Contains("loses every commit after that", result.Out);
        Assert.Equal([NodeRole.Primary, NodeRole.Standby], LocalEnvironmentState.Load(fixture.WorkDirectory).Nodes.Select(n => n.Role));
        Assert.False(Directory.Exists(fixture.State.NodeWithRole(NodeRole.Standby).DataDirectory + ".pitr"));
    }

    [Fact]
    public async Task A_wrong_cipher_passphrase_stops_the_restore_in_one_line_and_leaves_the_environment_as_it_was()
    {
        var result = await CliRunner.RunAsync(["restore", "--to", "latest", "--workdir", fixture.WorkDirectory],
            new Dictionary<string, string> { [PgBackRestSetup.PassphraseVariable] = "not-the-passphrase" });

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Has($"no repository can be read (repo1 ({fixture.State.BackupDirectory}/pgbackrest): cannot be decrypted with this cipher passphrase", error);
        Assert.DoesNotContain("not-the-passphrase", result.Error + result.Out);
        Assert.Equal([NodeRole.Primary, NodeRole.Standby], LocalEnvironmentState.Load(fixture.WorkDirectory).Nodes.Select(n => n.Role));
        Assert.True(await Sql.ScalarAsync<bool>(fixture.State.Describe().Standby!.ConnectionString, "SELECT pg_is_in_recovery()"));
        Assert.False(await Sql.ScalarAsync<bool>(fixture.Primary, "SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task A_missing_wal_segment_in_the_range_stops_the_restore_naming_the_segment()
    {
        using var copy = await RepositoryCopy.OfAsync(fixture.State);
        foreach (var stored in Directory.EnumerateFiles(Path.Combine(copy.Repository, "archive"), fixture.FirstRowsSegment + "-*", SearchOption.AllDirectories))
            File.Delete(stored);
        var directory = PointInTimeFixture.NewDataDirectory(scratch);

        var result = await CliRunner.RunAsync("restore", "--to-time", Iso(fixture.AfterMoreRows), "--target", directory, "--workdir", copy.WorkDirectory);

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Has($"is outside the recoverable window (WAL segment {fixture.FirstRowsSegment} is missing from the archive, so nothing after it can be replayed)", error);
        Assert.False(Directory.Exists(directory));

        var verify = await CliRunner.RunAsync("backups", "list", "--workdir", copy.WorkDirectory, "--metrics-file", scratch.Combine("m.prom"));
        Has($"WAL missing: {fixture.FirstRowsSegment}", verify.Out);
    }

    [Fact]
    public async Task A_corrupted_backup_file_stops_the_restore_naming_the_file_and_verify_finds_it()
    {
        using var copy = await RepositoryCopy.OfAsync(fixture.State);
        // Bytes flipped all along every bundle of the backup: whatever a restore reads is damaged.
        foreach (var bundle in Directory.EnumerateFiles(Path.Combine(copy.Repository, "backup"), "*", SearchOption.AllDirectories).Where(f => f.Contains("/bundle/") && !f.Contains("/latest/")))
        {
            var bytes = await File.ReadAllBytesAsync(bundle);
            for (var i = 512; i < bytes.Length; i += 4096) bytes[i] ^= 0x5A;
            await File.WriteAllBytesAsync(bundle, bytes);
        }
        var directory = PointInTimeFixture.NewDataDirectory(scratch);
        // pgBackRest retries a failed file after 15 s by default; the outcome is the same without retries.
        var environment = new Dictionary<string, string> { ["PGBACKREST_JOB_RETRY"] = "0" };

        var result = await CliRunner.RunAsync(["restore", "--to-time", Iso(fixture.AfterFirstRows), "--target", directory, "--workdir", copy.WorkDirectory], environment);

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Has($"repo1 ({copy.Repository}) holds a damaged file: ", error);
        Has("(restoring backup ", error);
        Assert.False(Directory.Exists(directory));

        var verify = await CliRunner.RunAsync(["backups", "verify", "--workdir", copy.WorkDirectory, "--metrics-file", scratch.Combine("m.prom")], environment);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Has($"repo1 ({copy.Repository}): pgbackrest verify found damage: backup: ", verify.Error);
    }

    [Fact]
    public async Task An_unreachable_store_stops_the_restore_naming_it()
    {
        var closed = FreePort.Pick();
        using var copy = await RepositoryCopy.OfAsync(fixture.State, setup => setup with
        {
            Repositories = [PgBackRestRepository.Parse(1, "s3://gone/env", new RepositoryOptions($"https://127.0.0.1:{closed}", S3PathStyle: true, S3Region: "us-east-1", VerifyTls: false))],
        });
        var directory = PointInTimeFixture.NewDataDirectory(scratch);

        var result = await CliRunner.RunAsync(["restore", "--to-time", Iso(fixture.AfterFirstRows), "--target", directory, "--workdir", copy.WorkDirectory],
            new Dictionary<string, string> { ["PGBACKREST_IO_TIMEOUT"] = "1" });

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Has($"no repository can be read (repo1 (s3://gone/env/pgbackrest): unreachable: ", error);
        Has($"127.0.0.1:{closed}", error);
        Assert.False(Directory.Exists(directory));
    }
}
