using System.Diagnostics;
using AutoVideo.DR.Recovery.Incidents;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

/// <summary>CLI behaviour that needs no running environment.</summary>
public sealed class RunbookCommandTests
{
    [Fact]
    public async Task Two_failovers_at_once_are_refused_with_the_holders_pid_and_start_time()
    {
        using var work = new TemporaryDirectory();
        Directory.CreateDirectory(work.Path);
        // The lock is checked before the environment is touched; a state file is all the command needs to get there.
        new Recovery.Local.LocalEnvironmentState(work.Path, "autovideo", work.Combine("wal"), work.Combine("backups"), DateTimeOffset.UtcNow, []).Save();
        var incidents = Journal.DirectoryIn(work.Path);
        Directory.CreateDirectory(incidents);
        // Another process holds the kernel lock, as a running autovideo-dr does.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", Path.Combine(incidents, RunLock.FileName), "sleep", "30"]))!;
        File.WriteAllText(Path.Combine(incidents, RunLock.HolderFileName),
            $$"""{"Pid":{{holder.Id}},"StartedAt":"2026-11-25T09:00:00+00:00","Command":"autovideo-dr failover-critical (local:/x)"}""");
        await Sql.EventuallyAsync(() => Task.FromResult(!File.Exists(Path.Combine(incidents, RunLock.FileName)) ? false : IsLocked(Path.Combine(incidents, RunLock.FileName))), "flock taking the lock", 10);
        try
        {
            var result = await CliRunner.RunAsync("failover", "--level", "major", "--workdir", work.Path);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal($"autovideo-dr: error: another run holds the lock: 'autovideo-dr failover-critical (local:/x)' (pid {holder.Id}, started 2026-11-25 09:00:00Z); wait for it to finish, or see 'autovideo-dr incident status'",
                result.Error.Trim());
            Assert.Empty(Journal.All(incidents));
        }
        finally
        {
            holder.Kill();
        }
    }

    [Theory]
    [InlineData("severe")]
    [InlineData("")]
    [InlineData("Critical!")]
    public async Task An_unknown_level_is_a_usage_error_in_one_line(string level)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("failover", "--level", level, "--workdir", work.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"autovideo-dr: error: --level '{level}' is not a disaster level; accepted: critical, major, minor (run 'autovideo-dr --help' for the commands and options)", result.Error.Trim());
        Assert.False(Directory.Exists(work.Path), "a refused command line must create nothing");
    }

    [Fact]
    public async Task A_failover_without_a_local_environment_starts_no_run()
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("failover", "--level", "critical", "--workdir", work.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("create one with 'autovideo-dr local up'", result.Error);
        Assert.False(Directory.Exists(Journal.DirectoryIn(work.Path)));
    }

    [Fact]
    public async Task Incident_status_without_any_run_says_how_one_starts()
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync("incident", "status", "--workdir", work.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("one starts with 'autovideo-dr failover'", result.Error);
    }

    static bool IsLocked(string path)
    {
        try { using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); return false; }
        catch (IOException) { return true; }
    }
}
