using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// A store that is not what it should be, through the CLI as a cron job meets it: one line
/// "autovideo-dr: error: …" naming the store, endpoint or path and what to do, exit 1, nothing created
/// by a reading command, and a failed backup recorded as failed.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class StoreFaultTests(BackupsFixture fixture) : IDisposable
{
    readonly TemporaryDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    string Metrics => scratch.Combine("metrics", "backups.prom");

    internal static string ErrorLine(CliResult result)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        return Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
    }

    Task<CliResult> BackupAsync(string store, IReadOnlyList<string>? launcher = null, string? asUser = null, string? metrics = null) =>
        CliRunner.RunAsync(["backup", "--from", fixture.Standby, "--store", store, "--workdir", scratch.Path, "--metrics-file", metrics ?? Metrics],
            launcher: launcher, asUser: asUser);

    [Fact]
    public async Task A_store_that_is_a_file_is_refused_by_reading_and_writing_commands()
    {
        Directory.CreateDirectory(scratch.Path);
        var file = scratch.Combine("store.txt");
        await File.WriteAllTextAsync(file, "not a directory");

        var list = ErrorLine(await CliRunner.RunAsync("backups", "list", "--store", file, "--metrics-file", Metrics));
        var backup = ErrorLine(await BackupAsync(file));

        Assert.Contains($"store {file} is a file, not a directory", list);
        Assert.Contains($"store {file} is a file, not a directory", backup);
        Assert.Equal("not a directory", await File.ReadAllTextAsync(file));
        Assert.Contains("autovideo_dr_backup_last_success 0", await File.ReadAllTextAsync(Metrics));
    }

    [Fact]
    public async Task A_backup_creates_a_missing_store_directory_but_not_a_missing_tree()
    {
        Directory.CreateDirectory(scratch.Path);
        var deep = scratch.Combine("no", "such", "store");

        var refused = ErrorLine(await BackupAsync(deep));
        var created = await BackupAsync(scratch.Combine("new-store"));

        Assert.Contains($"store {deep} does not exist, nor does its parent", refused);
        Assert.Contains("mkdir -p", refused);
        Assert.False(Directory.Exists(scratch.Combine("no")));
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    [Fact]
    public async Task A_store_the_user_cannot_write_is_named_with_what_to_do()
    {
        // As the unprivileged postgres user (root writes anywhere): a directory root owns, mode 0755.
        var store = scratch.Combine("root-owned");
        Directory.CreateDirectory(store);
        var metrics = scratch.Combine("open", "m.prom");
        Directory.CreateDirectory(Path.GetDirectoryName(metrics)!);
        File.SetUnixFileMode(Path.GetDirectoryName(metrics)!, (UnixFileMode)0x1FF); // 0777, for the metrics file

        var line = ErrorLine(await CliRunner.RunAsync(
            ["backup", "--from", fixture.Standby, "--store", store, "--workdir", "/tmp", "--metrics-file", metrics], asUser: "postgres"));

        Assert.Contains($"cannot write to store {store}: permission denied", line);
        Assert.Contains("fix the directory's permissions or choose another --store", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(store));
    }

    [Fact]
    public async Task A_full_disk_fails_the_backup_in_one_line_and_records_the_failure()
    {
        // A 32 KiB tmpfs over the store, in a mount namespace of the command's own (gone when it exits).
        var store = scratch.Combine("small-disk");
        Directory.CreateDirectory(store);
        string[] launcher = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=32k tmpfs \"$0\" && exec \"$@\"", store];

        var line = ErrorLine(await BackupAsync(store, launcher));

        Assert.Contains($"store {store} is full (no space left on device) while writing autovideo_backup_", line);
        Assert.Contains("free space there or choose another --store", line);
        Assert.Contains("autovideo_dr_backup_last_success 0", await File.ReadAllTextAsync(Metrics));
    }
}

/// <summary>The faults no database is needed for: outside the backups collection, so they run beside it.</summary>
public sealed class StoreFaultCliTests : IDisposable
{
    readonly TemporaryDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    string Metrics => scratch.Combine("metrics", "backups.prom");

    static string ErrorLine(CliResult result) => StoreFaultTests.ErrorLine(result);

    [Theory]
    [InlineData("list")]
    [InlineData("latest")]
    [InlineData("prune")]
    public async Task A_store_that_does_not_exist_is_an_error_for_reading_commands_and_is_not_created(string command)
    {
        var missing = scratch.Combine("typo-in-store");

        var line = ErrorLine(await CliRunner.RunAsync("backups", command, "--store", missing, "--metrics-file", Metrics));

        Assert.Contains($"store {missing} does not exist; check --store", line);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task An_s3_endpoint_that_accepts_and_never_answers_fails_within_the_timeout_naming_it()
    {
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start(backlog: 16); // connections complete in the kernel's backlog; nothing ever reads or answers
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}";
        var clock = Stopwatch.StartNew();

        var line = ErrorLine(await CliRunner.RunAsync(
            ["backups", "list", "--store", "s3://autovideo-backups/x", "--s3-endpoint", endpoint, "--s3-path-style", "--store-timeout", "1", "--metrics-file", Metrics],
            MotoS3Fixture.CliEnvironment(), timeout: TimeSpan.FromSeconds(120)));

        Assert.Contains($"S3 endpoint {endpoint}", line);
        Assert.Contains("did not answer within 1 s", line);
        Assert.Contains("--store-timeout", line);
        // Three tries of one second each, not three of the SDK's 100 s: a loose bound (a loaded
        // machine starts the CLI slowly), far below the minutes a default timeout takes.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task An_endpoint_that_drops_every_connection_is_named_in_one_line()
    {
        using var rude = new TcpListener(IPAddress.Loopback, 0);
        rude.Start();
        using var stop = new CancellationTokenSource();
        var closing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await rude.AcceptTcpClientAsync(stop.Token);
                client.Client.LingerState = new LingerOption(true, 0); // close with RST, as a crashed server does
            }
        });
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)rude.LocalEndpoint).Port}";

        var line = ErrorLine(await CliRunner.RunAsync(
            ["backups", "list", "--store", "s3://autovideo-backups/x", "--s3-endpoint", endpoint, "--s3-path-style", "--store-timeout", "2", "--metrics-file", Metrics],
            MotoS3Fixture.CliEnvironment(), timeout: TimeSpan.FromSeconds(60)));
        stop.Cancel();

        Assert.Contains($"S3 endpoint {endpoint}", line);
        Assert.DoesNotContain("unexpected", line);
    }

    [Fact]
    public async Task No_aws_credentials_at_all_are_named_in_one_whole_line()
    {
        Directory.CreateDirectory(scratch.Path);
        var line = ErrorLine(await CliRunner.RunAsync(
            ["backups", "list", "--store", "s3://autovideo-backups/x", "--s3-endpoint", $"http://127.0.0.1:{Postgres.FreePort.Pick()}", "--s3-path-style", "--metrics-file", Metrics],
            new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = "", ["AWS_SECRET_ACCESS_KEY"] = "", ["AWS_SESSION_TOKEN"] = "", ["AWS_PROFILE"] = "",
                ["AWS_SHARED_CREDENTIALS_FILE"] = scratch.Combine("none"), ["AWS_CONFIG_FILE"] = scratch.Combine("none"),
                ["AWS_WEB_IDENTITY_TOKEN_FILE"] = "", ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "", ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "",
                ["AWS_EC2_METADATA_DISABLED"] = "true", ["HOME"] = scratch.Path,
            }));

        Assert.Contains("no AWS credentials found for s3://autovideo-backups/x: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", line);
        Assert.DoesNotContain("returned the following errors", line);
    }

    [Theory]
    [InlineData("--store-timeout", "0", "--store-timeout '0' is not a number of seconds from 1 to 3600")]
    [InlineData("--store-timeout", "3601", "from 1 to 3600")]
    [InlineData("--store-timeout", "1.5", "--store-timeout '1.5' is not a number of seconds from 1 to 3600")]
    [InlineData("--store-timeout", "ten", "--store-timeout 'ten' is not a number of seconds")]
    [InlineData("--s3-lock-mode", "strict", "--s3-lock-mode 'strict' is not understood; accepted: bucket, governance, compliance")]
    [InlineData("--s3-lock-mode", "1", "accepted: bucket, governance, compliance")]
    public async Task Bad_store_options_are_usage_errors_before_anything_runs(string option, string value, string message)
    {
        var missing = scratch.Combine("never-touched");

        var result = await CliRunner.RunAsync("backups", "list", "--store", missing, option, value, "--metrics-file", Metrics);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.False(File.Exists(Metrics));
    }
}
