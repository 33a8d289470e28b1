using System.Net;
using System.Net.Sockets;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Local;

[Collection(LocalEnvironmentCollection.Name)]
public sealed class LocalEnvironmentTests(LocalEnvironmentFixture environment)
{
    [Fact]
    public async Task Up_starts_a_primary_and_a_standby_that_replays_its_writes()
    {
        var description = environment.State.Describe();
        await Sql.ExecuteAsync(description.Primary!.ConnectionString, "CREATE TABLE IF NOT EXISTS env_probe(v text); INSERT INTO env_probe VALUES ('replicated')");
        var standby = description.Standby!.ConnectionString;
        Assert.True(await Sql.ScalarAsync<bool>(standby, "SELECT pg_is_in_recovery()"));
        await Sql.EventuallyAsync(async () =>
            await Sql.ScalarAsync<long>(standby, "SELECT count(*) FROM pg_class WHERE relname = 'env_probe'") == 1
            && await Sql.ScalarAsync<long>(standby, "SELECT count(*) FROM env_probe WHERE v = 'replicated'") >= 1,
            "the standby replaying the primary's write", seconds: 20);
    }

    [Fact]
    public async Task Up_archives_wal_into_the_environments_pgbackrest_repository()
    {
        var segment = await Sql.ScalarAsync<string>(environment.State.Describe().Primary!.ConnectionString, "SELECT pg_walfile_name(pg_switch_wal())");
        var pgbackrest = new PgBackRest(PgBackRestSetup.Load(environment.State.ArchiveDirectory), Postgres.ServerAccount.Current(), NullLogger.Instance);
        await Sql.EventuallyAsync(async () => (await pgbackrest.ArchivedSegmentsAsync(1, default)).Any(s => s.Segment.Name == segment), $"archiving WAL segment {segment}");
        Assert.True((await WalArchive.CheckAsync(environment.State.ArchiveDirectory, default)).Intact);
    }

    [Fact]
    public async Task A_second_up_on_a_running_environment_is_refused_and_changes_nothing()
    {
        var result = await CliRunner.RunAsync("local", "up", "--workdir", environment.WorkDirectory);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("already running", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:"));
        Assert.True(LocalEnvironment.Server(null, Postgres.ServerAccount.Current(), environment.State.NodeWithRole(NodeRole.Primary)).IsRunning());
    }

    [Fact]
    public async Task Status_reports_both_nodes_running_with_their_roles()
    {
        var result = await CliRunner.RunAsync("local", "status", "--workdir", environment.WorkDirectory, "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\"role\": \"primary\"", result.Out);
        Assert.Contains("\"role\": \"standby\"", result.Out);
        Assert.DoesNotContain("\"running\": false", result.Out);
    }
}

public sealed class LocalEnvironmentLifecycleTests
{
    [Fact]
    public async Task Down_stops_every_server_and_removes_the_working_directory()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var state = environment.State;
        var pids = state.Nodes.Select(n => LocalEnvironment.Server(null, Postgres.ServerAccount.Current(), n).PostmasterPid()).ToList();
        var caches = state.Caches!.Select(c => int.Parse(File.ReadAllText(Recovery.Cache.LocalCache.Server(c).PidFile).Trim())).ToList();
        Assert.Equal(2, caches.Count);

        var result = await CliRunner.RunAsync("local", "down", "--workdir", environment.WorkDirectory);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("pg-a", result.Out);
        Assert.Contains("cache-b", result.Out);
        Assert.False(Directory.Exists(environment.WorkDirectory));
        foreach (var pid in pids.Select(p => (int?)p).Concat(caches.Select(c => (int?)c)))
        {
            var stat = $"/proc/{pid}/stat";
            Assert.True(!File.Exists(stat) || File.ReadAllText(stat).Contains(") Z"), $"server {pid} still runs after down");
        }
    }

    [Fact]
    public async Task Down_leaves_no_pgbackrest_process_of_the_environment_running()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var config = PgBackRestSetup.ConfigFileIn(environment.State.ArchiveDirectory);
        // A switch right before down: the asynchronous archiver is at work when the servers stop.
        await Sql.ExecuteAsync(environment.State.Describe().Primary!.ConnectionString, "CREATE TABLE churn AS SELECT g FROM generate_series(1, 200000) g; SELECT pg_switch_wal()");

        var result = await CliRunner.RunAsync("local", "down", "--workdir", environment.WorkDirectory);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(PgBackRestProcesses.Running(config));
    }

    [Fact]
    public async Task Up_status_and_down_work_for_a_normal_user_too()
    {
        // Run as root, the suite also proves the non-root path by running the CLI as the postgres user.
        var user = Postgres.ServerAccount.Current().IsRoot ? "postgres" : null;
        using var directory = new TemporaryDirectory();
        Directory.CreateDirectory(directory.Path);
        if (user is not null) File.SetUnixFileMode(directory.Path, (UnixFileMode)0x1FF);
        var work = Path.Combine(directory.Path, "env");

        var up = await CliRunner.RunAsync(["local", "up", "--workdir", work], asUser: user);
        var status = await CliRunner.RunAsync(["local", "status", "--workdir", work, "--json"], asUser: user);
        var down = await CliRunner.RunAsync(["local", "down", "--workdir", work], asUser: user);

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.DoesNotContain("\"running\": false", status.Out);
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task Up_on_a_port_in_use_fails_in_one_line_and_leaves_nothing_behind()
    {
        using var directory = new TemporaryDirectory();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        var result = await CliRunner.RunAsync("local", "up", "--workdir", directory.Path, "--port", port.ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"port {port} on 127.0.0.1 is already in use", result.Error);
        Assert.False(Directory.Exists(directory.Path), "a refused up left its working directory behind");
    }

    [Fact]
    public async Task Up_without_a_postgresql_installation_names_what_is_missing()
    {
        using var directory = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["local", "up", "--workdir", directory.Path],
            new Dictionary<string, string> { ["AUTOVIDEO_DR_PG_BIN"] = "/nonexistent/pg/bin" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("PostgreSQL 15 not found", result.Error);
        Assert.Contains("/nonexistent/pg/bin/initdb", result.Error);
        Assert.False(Directory.Exists(directory.Path));
    }

    [Fact]
    public async Task Status_without_an_environment_says_how_to_create_one()
    {
        using var directory = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("local", "status", "--workdir", directory.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("create one with 'autovideo-dr local up'", result.Error);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("local", "up", "--bogus-option")]
    public async Task Unknown_commands_and_options_are_usage_errors(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"Unrecognized command or argument '{args[^1]}'", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Without_workdir_state_goes_to_the_users_state_directory_never_to_where_the_command_runs()
    {
        using var home = new TemporaryDirectory();
        using var cwd = new TemporaryDirectory();
        Directory.CreateDirectory(cwd.Path);
        var state = home.Combine("state");
        var stores = home.Combine("store");
        Directory.CreateDirectory(stores);
        var environment = new Dictionary<string, string> { ["XDG_STATE_HOME"] = state, ["HOME"] = home.Path, ["AUTOVIDEO_DR_HOME"] = "" };

        var result = await CliRunner.RunAsync(["backups", "list", "--store", stores], environment, workingDirectory: cwd.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd.Path));
        Assert.True(File.Exists(Path.Combine(state, "autovideo-dr", "metrics", "autovideo_dr_backups.prom")), "the metrics went somewhere else than $XDG_STATE_HOME/autovideo-dr");
    }

    [Fact]
    public async Task Metrics_in_a_working_directory_do_not_keep_an_environment_from_being_created_there()
    {
        using var directory = new TemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "metrics"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "metrics", "autovideo_dr_backups.prom"), "autovideo_dr_backup_count 0\n");

        var up = await CliRunner.RunAsync("local", "up", "--workdir", directory.Path);
        var down = await CliRunner.RunAsync("local", "down", "--workdir", directory.Path);

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(down.ExitCode == 0, down.ToString());
    }

    [Fact]
    public async Task A_drill_in_a_directory_of_other_files_fails_in_one_line_that_says_what_to_do()
    {
        using var directory = new TemporaryDirectory();
        Directory.CreateDirectory(directory.Path);
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "notes.txt"), "not an environment");

        var result = await CliRunner.RunAsync("drill", "--workdir", directory.Path, "--out", Path.Combine(directory.Path, "reports"));

        Assert.Equal(1, result.ExitCode);
        var errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("error:")).ToList();
        Assert.Equal($"autovideo-dr: error: {directory.Path} holds no local environment but other files (notes.txt); choose an empty or new --workdir", Assert.Single(errors));
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(directory.Path).Select(Path.GetFileName));
    }
}
