using System.Diagnostics;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Recovery.Tests.Faults;

/// <summary>What a fault has set up in the scratch directory before the command runs.</summary>
public enum Scene
{
    /// <summary>Nothing: the working directory does not exist.</summary>
    Nothing,
    /// <summary>--workdir names a file.</summary>
    WorkdirIsAFile,
    /// <summary>An environment whose incidents/ (the run journals) is a file.</summary>
    IncidentsIsAFile,
    /// <summary>environment.json is not JSON (edited by hand, a disk that filled up).</summary>
    StateUnreadable,
    /// <summary>environment.json of a 'local up' killed before any server was ready.</summary>
    StateIncomplete,
}

/// <summary>
/// The scratch directory of one fault: <c>{root}</c>, with the working directory <c>{work}</c> in the
/// state <see cref="Scene"/> names. It remembers every file it made, so a test can prove the command
/// changed nothing.
/// </summary>
public sealed class FaultScene : IDisposable
{
    readonly TemporaryDirectory root = new();

    public string Root => root.Path;
    public string Work => root.Combine("work");

    public FaultScene(Scene scene)
    {
        if (scene == Scene.Nothing) return;
        Directory.CreateDirectory(Root);
        switch (scene)
        {
            case Scene.WorkdirIsAFile:
                File.WriteAllText(Work, "not a directory");
                break;
            case Scene.IncidentsIsAFile:
                // A state with no node is all the runbook commands need to reach the journal.
                Directory.CreateDirectory(Work);
                new LocalEnvironmentState(Work, "autovideo", root.Combine("work", "wal"), root.Combine("work", "backups"), DateTimeOffset.UtcNow, []).Save();
                File.WriteAllText(Path.Combine(Work, "incidents"), "not a directory");
                break;
            case Scene.StateUnreadable:
                Directory.CreateDirectory(Work);
                File.WriteAllText(LocalEnvironmentState.PathIn(Work), "{\"workDirectory\": ");
                break;
            case Scene.StateIncomplete:
                Directory.CreateDirectory(Work);
                Incomplete(Work).Save();
                break;
        }
        Before = Snapshot();
    }

    /// <summary>The state a 'local up' killed right after recording its plan leaves: every server planned, the up's pid gone.</summary>
    public static LocalEnvironmentState Incomplete(string work)
    {
        using var gone = Process.Start("true")!;
        gone.WaitForExit();
        return new LocalEnvironmentState(work, "autovideo", Path.Combine(work, "wal-archive"), Path.Combine(work, "backups"), DateTimeOffset.UtcNow,
            [
                new("pg-a", Postgres.FreePort.Pick(), Path.Combine(work, "pg-a"), Path.Combine(work, "logs", "pg-a.log"), NodeRole.Primary, ServerSetup.Planned),
                new("pg-b", Postgres.FreePort.Pick(), Path.Combine(work, "pg-b"), Path.Combine(work, "logs", "pg-b.log"), NodeRole.Standby, ServerSetup.Planned),
            ],
            HomePrimary: "pg-a",
            Caches: Recovery.Cache.LocalCache.Plan(work, [], ServerSetup.Planned),
            Up: new LocalUp(gone.Id, DateTimeOffset.UtcNow.AddSeconds(-5)));
    }

    /// <summary>Every file under the root with its content, as the scene left it (null when the root does not exist).</summary>
    public IReadOnlyDictionary<string, string>? Before { get; }

    public IReadOnlyDictionary<string, string>? Snapshot() =>
        Directory.Exists(Root)
            ? Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
                .ToDictionary(p => p, p => File.Exists(p) ? File.ReadAllText(p) : "(directory)")
            : null;

    public string[] Expand(IEnumerable<string> args) => args.Select(a => a.Replace("{work}", Work).Replace("{root}", Root)).ToArray();

    public void Dispose() => root.Dispose();
}

/// <summary>
/// The bad-input matrix, in the style of the integrity tests: for each command, each kind of fault
/// an operator meets, the exit code, the one line (exactly one "autovideo-dr: error:", never
/// "unexpected") and the state afterwards (nothing created, nothing changed). None of these needs
/// a server; the faults that do are in <see cref="ServerFaultTests"/> and <see cref="KilledUpTests"/>.
/// </summary>
public sealed class BadInputMatrixTests
{
    internal static string OneErrorLine(CliResult result)
    {
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("autovideo-dr: error:", StringComparison.Ordinal));
        Assert.DoesNotContain("unexpected", error);
        return error;
    }

    /// <summary>Faults of the working directory and what is in it: one line naming the path and what to do (exit 1), and nothing changed.</summary>
    [Theory]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "local", "status")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "local", "up")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "local", "down")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "health")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "failover", "--level", "major")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "backups", "list")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "backup", "--metrics-file", "{root}/m.prom")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "incident", "status")]
    [InlineData(Scene.WorkdirIsAFile, "--workdir {work} is a file, not a directory", "drill", "--out", "{root}")]
    [InlineData(Scene.IncidentsIsAFile, "{work}/incidents is a file, not the directory of run journals; move it aside", "failover", "--level", "major")]
    [InlineData(Scene.IncidentsIsAFile, "{work}/incidents is a file, not the directory of run journals; move it aside", "failback", "--dry-run")]
    [InlineData(Scene.IncidentsIsAFile, "{work}/incidents is a file, not the directory of run journals; move it aside", "incident", "status")]
    [InlineData(Scene.IncidentsIsAFile, "{work}/incidents is a file, not the directory of run journals; move it aside", "incident", "update", "standby promoted")]
    [InlineData(Scene.IncidentsIsAFile, "{work}/incidents is a file, not the directory of run journals; move it aside", "incident", "abort", "wrong level")]
    [InlineData(Scene.StateUnreadable, "{work}/environment.json is not a valid environment state", "local", "status")]
    [InlineData(Scene.StateUnreadable, "'autovideo-dr local down --workdir {work}' stops what runs there and removes it", "health")]
    [InlineData(Scene.StateUnreadable, "{work}/environment.json is not a valid environment state", "promote")]
    [InlineData(Scene.StateUnreadable, "{work}/environment.json is not a valid environment state", "backups", "list")]
    [InlineData(Scene.StateIncomplete, "the local environment in {work} is incomplete: the 'local up' started", "health")]
    [InlineData(Scene.StateIncomplete, "did not finish (not ready: pg-a not created yet, pg-b not created yet", "failover", "--level", "critical")]
    [InlineData(Scene.StateIncomplete, "run 'autovideo-dr local up --workdir {work}' to finish it, or 'autovideo-dr local down --workdir {work}' to remove it", "backup", "--metrics-file", "{root}/m.prom")]
    [InlineData(Scene.StateIncomplete, "the local environment in {work} is incomplete", "rejoin")]
    [InlineData(Scene.Nothing, "no local environment in {work}; create one with 'autovideo-dr local up'", "promote")]
    [InlineData(Scene.Nothing, "no local environment in {work}; create one with 'autovideo-dr local up'", "local", "down")]
    public async Task A_fault_of_the_working_directory_is_one_line_and_changes_nothing(Scene kind, string message, params string[] args)
    {
        using var scene = new FaultScene(kind);

        var result = await CliRunner.RunAsync(scene.Expand([.. args, "--workdir", "{work}"]));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(scene.Expand([message])[0], OneErrorLine(result));
        // Nothing created, nothing changed (a metrics file written beside it records a failed backup, and is left out).
        Assert.Equal(scene.Before?.ToHashSet(), scene.Snapshot()?.Where(e => !e.Key.EndsWith("m.prom")).ToHashSet());
    }
}

/// <summary>The usage errors of the matrix: apart, so they run beside the working-directory faults.</summary>
public sealed class UsageErrorMatrixTests
{
    static string OneErrorLine(CliResult result) => BadInputMatrixTests.OneErrorLine(result);

    /// <summary>Usage errors: the parser refuses before anything runs (exit 2), and the working directory is never created.</summary>
    [Theory]
    [InlineData("--parallel '0' is not a whole number from 1 to 64", "backup", "--parallel", "0")]
    [InlineData("--parallel '-1' is not a whole number from 1 to 64", "backup", "--parallel", "-1")]
    [InlineData("--parallel 'many' is not a whole number from 1 to 64", "backup", "--parallel", "many")]
    [InlineData("--from is not a usable connection string (Couldn't set port); accepted: primary, standby or a connection string", "backup", "--from", "Host=;Port=abc")]
    [InlineData("--from is not a usable connection string (no Host)", "backup", "--from", "Port=5432;Database=autovideo")]
    [InlineData("--from 'fenced' is not understood; accepted: primary, standby or a connection string", "backup", "--from", "fenced")]
    [InlineData("--target is not a usable connection string (Port 70000 is not a port (1 to 65535))", "restore", "--target", "Host=db;Port=70000")]
    [InlineData("--target '/srv/restored' is a directory, the new data directory of a point-in-time restore; with a backup, accepted: primary, standby", "restore", "--target", "/srv/restored")]
    [InlineData("--compression-level 'abc' is not a whole number from 0 to 19", "backup", "--compression", "lz4", "--compression-level", "abc")]
    [InlineData("--restore 'pitr:yesterday' names no point in time", "drill", "--restore", "pitr:yesterday")]
    [InlineData("--restore-from 'nightly' names no backup or point in time", "failover", "--level", "critical", "--restore-from", "nightly")]
    [InlineData("--writers '0' is not a whole number from 1 to 32", "drill", "--writers", "0")]
    [InlineData("--writers '33' is not a whole number from 1 to 32", "drill", "--writers", "33")]
    [InlineData("--warm-up '-1' is not a number of seconds from 0 to 3600", "drill", "--warm-up", "-1")]
    [InlineData("--warm-up 'NaN' is not a number of seconds from 0 to 3600", "drill", "--warm-up", "NaN")]
    [InlineData("--disaster 'meteor' is not understood; accepted: kill-primary, stop-primary, freeze-primary", "drill", "--disaster", "meteor")]
    [InlineData("--port '80' is not a whole number from 1024 to 65535", "local", "up", "--port", "80")]
    [InlineData("--standby-port 'abc' is not a whole number from 1024 to 65535", "local", "up", "--standby-port", "abc")]
    [InlineData("--keep-hourly '-1' is not a whole number from 0 to 100000", "backups", "prune", "--keep-hourly", "-1")]
    [InlineData("--keep-daily '-1' is not a whole number from 0 to 100000", "backups", "prune", "--keep-daily", "-1")]
    [InlineData("--keep-weekly 'x' is not a whole number from 0 to 100000", "backups", "prune", "--keep-weekly", "x")]
    [InlineData("--s3-endpoint 'minio:9000' is not an endpoint URL; accepted: http://host:port or https://host", "backups", "list", "--store", "s3://b/x", "--s3-endpoint", "minio:9000")]
    [InlineData("--gcs-endpoint 'localhost' is not an endpoint URL", "backups", "list", "--store", "gs://b/x", "--gcs-endpoint", "localhost")]
    [InlineData("--media-endpoint 'ftp://moto' is not an endpoint URL", "local", "up", "--media-endpoint", "ftp://moto")]
    public async Task A_bad_value_is_a_usage_error_before_anything_runs(string message, params string[] args)
    {
        using var scene = new FaultScene(Scene.Nothing);

        var result = await CliRunner.RunAsync([.. args, "--workdir", scene.Work]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"autovideo-dr: error: {message}", OneErrorLine(result)[..$"autovideo-dr: error: {message}".Length]);
        Assert.EndsWith("(run 'autovideo-dr --help' for the commands and options)", OneErrorLine(result));
        Assert.Null(scene.Snapshot());
    }

    [Fact]
    public async Task A_connection_string_that_does_not_parse_is_refused_without_repeating_its_password()
    {
        var result = await CliRunner.RunAsync("backup", "--from", "Host=db;Bogus=1;Password=hunter2", "--workdir", "/tmp/avdr-never");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--from is not a usable connection string (Couldn't set bogus)", OneErrorLine(result));
        Assert.DoesNotContain("hunter2", result.Error + result.Out);
    }
}

/// <summary>Faults of what a command reports and leaves: metrics it cannot write, an environment an up left unfinished or whose state cannot be read.</summary>
public sealed class ReportingAndStateFaultTests
{
    [Fact]
    public async Task A_metrics_file_that_cannot_be_written_is_a_warning_and_list_still_lists()
    {
        using var scene = new FaultScene(Scene.Nothing);
        var store = Directory.CreateDirectory(Path.Combine(scene.Root, "store")).FullName;
        var isDirectory = Directory.CreateDirectory(Path.Combine(scene.Root, "metrics-dir")).FullName;
        var underAFile = Path.Combine(scene.Root, "a-file", "backups.prom");
        File.WriteAllText(Path.Combine(scene.Root, "a-file"), "x");

        var intoDirectory = await CliRunner.RunAsync("backups", "list", "--store", store, "--metrics-file", isDirectory);
        var underFile = await CliRunner.RunAsync("backups", "list", "--store", store, "--metrics-file", underAFile);

        foreach (var (result, fault) in new[] { (intoDirectory, $"metrics not written to {isDirectory}: it is a directory, not a file"), (underFile, $"metrics not written to {underAFile}: The file '{Path.Combine(scene.Root, "a-file")}' already exists, where a directory is needed") })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.StartsWith("name ", result.Out);
            var warning = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"autovideo-dr: warning: {fault}", warning);
            Assert.Contains("choose another --metrics-file", warning);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(isDirectory));
        Assert.Equal(["a-file", "metrics-dir", "store"], Directory.EnumerateFileSystemEntries(scene.Root).Select(p => Path.GetFileName(p)!).Order().ToArray());
    }

    [Fact]
    public async Task A_failure_of_any_cause_is_recorded_in_the_metrics_and_the_error_still_reaches_the_operator()
    {
        using var scene = new FaultScene(Scene.Nothing);
        var metrics = Path.Combine(scene.Root, "backups.prom");
        Directory.CreateDirectory(scene.Root);
        File.WriteAllText(metrics, "autovideo_dr_backup_last_success 1\nautovideo_dr_backup_last_run_timestamp_seconds 1000\n");
        var parse = Cli.CliApp.Build(new Cli.CliContext(TextWriter.Null, TextWriter.Null, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))
            .Parse(["backup", "--store", Path.Combine(scene.Root, "store"), "--metrics-file", metrics, "--workdir", scene.Work]);

        // Not one of the tool's own exceptions: an I/O failure the store did not turn into a line.
        await Assert.ThrowsAsync<IOException>(() => Cli.StoreArguments.RunAsync<int>(parse, _ => throw new IOException("Input/output error"),
            () => new Dictionary<string, double> { [Recovery.Backups.BackupMetrics.BackupSuccess] = 0, [Recovery.Backups.BackupMetrics.BackupTimestamp] = 2000 }));

        var written = File.ReadAllText(metrics);
        Assert.Contains("autovideo_dr_backup_last_success 0\n", written);
        Assert.Contains("autovideo_dr_backup_last_run_timestamp_seconds 2000\n", written);
    }

    [Fact]
    public async Task A_working_directory_the_user_cannot_create_is_named_with_what_to_do()
    {
        // As the unprivileged postgres user (root writes anywhere): the parent is root's, mode 0755.
        if (!Postgres.ServerAccount.Current().IsRoot) return;
        using var scene = new FaultScene(Scene.Nothing);
        Directory.CreateDirectory(scene.Root);

        var result = await CliRunner.RunAsync(["local", "up", "--workdir", scene.Work], asUser: "postgres");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"cannot create the local environment in {scene.Work}: permission denied; choose another --workdir, or fix its permissions", BadInputMatrixTests.OneErrorLine(result));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scene.Root));
    }

    [Fact]
    public async Task Down_by_a_user_who_may_not_remove_the_directory_stops_nothing()
    {
        if (!Postgres.ServerAccount.Current().IsRoot) return; // the directory must belong to someone else
        using var scene = new FaultScene(Scene.StateIncomplete);

        var result = await CliRunner.RunAsync(["local", "down", "--workdir", scene.Work], asUser: "postgres");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"postgres may not remove {scene.Work} (permission denied on it or on {scene.Root}); nothing was stopped: run 'autovideo-dr local down' as the user who created it, or with --keep-data",
            BadInputMatrixTests.OneErrorLine(result));
        Assert.Equal(scene.Before!.ToHashSet(), scene.Snapshot()!.ToHashSet());
    }

    [Fact]
    public async Task Media_buckets_without_aws_credentials_are_named_in_one_line()
    {
        using var scene = new FaultScene(Scene.Nothing);
        Directory.CreateDirectory(scene.Root);
        var result = await CliRunner.RunAsync(
            ["restore", "objects", "--bucket", "uploads", "--as-of", "2026-01-01T00:00:00Z", "--s3-endpoint", $"http://127.0.0.1:{Postgres.FreePort.Pick()}", "--workdir", scene.Work],
            new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = "", ["AWS_SECRET_ACCESS_KEY"] = "", ["AWS_SESSION_TOKEN"] = "", ["AWS_PROFILE"] = "",
                ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(scene.Root, "none"), ["AWS_CONFIG_FILE"] = Path.Combine(scene.Root, "none"),
                ["AWS_EC2_METADATA_DISABLED"] = "true", ["HOME"] = scene.Root,
            });

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no AWS credentials found for bucket 'uploads': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", BadInputMatrixTests.OneErrorLine(result));
        Assert.False(Directory.Exists(scene.Work));
    }

    [Fact]
    public async Task Status_shows_an_unfinished_up_as_it_is_and_down_removes_it()
    {
        using var scene = new FaultScene(Scene.StateIncomplete);

        var status = await CliRunner.RunAsync("local", "status", "--workdir", scene.Work);
        var json = await CliRunner.RunAsync("local", "status", "--json", "--workdir", scene.Work);
        var down = await CliRunner.RunAsync("local", "down", "--workdir", scene.Work);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("no (not created yet)", status.Out);
        Assert.Contains($"unfinished: the 'local up' started", status.Out);
        Assert.Contains($"did not finish (not ready: pg-a not created yet, pg-b not created yet, cache-a not created yet, cache-b not created yet); run 'autovideo-dr local up --workdir {scene.Work}' to finish it", status.Out);
        Assert.Contains("\"complete\": false", json.Out);
        Assert.Contains("\"setup\": \"planned\"", json.Out);
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.StartsWith("stopped: nothing was running; removed", down.Out);
        Assert.False(Directory.Exists(scene.Work));
    }

    [Fact]
    public async Task Down_of_an_environment_whose_state_cannot_be_read_still_removes_it()
    {
        using var scene = new FaultScene(Scene.StateUnreadable);

        var down = await CliRunner.RunAsync("local", "down", "--workdir", scene.Work);

        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Contains($"The state file {LocalEnvironmentState.PathIn(scene.Work)} cannot be read", down.Error);
        Assert.DoesNotContain("autovideo-dr: error:", down.Error);
        Assert.False(Directory.Exists(scene.Work));
    }
}
