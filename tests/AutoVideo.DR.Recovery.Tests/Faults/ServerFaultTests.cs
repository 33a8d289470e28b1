using AutoVideo.DR.Recovery.Incidents;

namespace AutoVideo.DR.Recovery.Tests.Faults;

/// <summary>
/// The faults of the matrix that need real servers: a disk that fills up under 'local up', and
/// runbooks asked for on an environment where they cannot do anything (nothing down; another run
/// unfinished). One line each, and the state afterwards: nothing running, no run left open.
/// </summary>
public sealed class ServerFaultTests
{
    [Theory]
    [InlineData("4m")]  // initdb itself runs out of space
    [InlineData("40m")] // the server runs out of space creating the database
    public async Task A_full_disk_under_local_up_is_one_line_and_leaves_nothing_running(string size)
    {
        using var directory = new TemporaryDirectory();
        var disk = Directory.CreateDirectory(directory.Combine("disk")).FullName;
        var work = Path.Combine(disk, "env");
        // A small tmpfs over the disk directory, in a mount namespace of the command's own (gone when it exits).
        string[] launcher = ["unshare", "--mount", "sh", "-c", $"mount -t tmpfs -o size={size},mode=0777 tmpfs \"$0\" && exec \"$@\"", disk];

        var result = await CliRunner.RunAsync(["local", "up", "--workdir", work], launcher: launcher);

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = BadInputMatrixTests.OneErrorLine(result);
        Assert.StartsWith($"autovideo-dr: error: cannot create the local environment in {work}: ", line);
        Assert.EndsWith("free space there or choose another --workdir", line);
        Assert.Empty(RunningFrom.Directory(work));
    }

    [Fact]
    public async Task A_monitoring_start_that_fails_leaves_no_process_running()
    {
        using var directory = new TemporaryDirectory();
        var bin = Directory.CreateDirectory(directory.Combine("bin")).FullName;
        var real = Recovery.Monitoring.MonitoringPrograms.Locate();
        // The real exporters, Pushgateway and Alertmanager start; a Prometheus that cannot start fails the up after them.
        foreach (var (name, program) in new[] { ("prometheus-postgres-exporter", real.PostgresExporter), ("prometheus-pushgateway", real.Pushgateway), ("prometheus-alertmanager", real.Alertmanager) })
            File.CreateSymbolicLink(Path.Combine(bin, name), program);
        var broken = Path.Combine(bin, "prometheus");
        File.WriteAllText(broken, "#!/bin/sh\necho 'err: opening storage failed: lock DB directory: resource temporarily unavailable' >&2\nexit 1\n");
        File.SetUnixFileMode(broken, (UnixFileMode)0x1ED); // 0755
        var work = directory.Combine("env");

        var result = await CliRunner.RunAsync(["local", "up", "--monitoring", "--workdir", work],
            new Dictionary<string, string> { [Recovery.Monitoring.MonitoringPrograms.BinDirectoryVariable] = bin });

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"prometheus ({broken}) exited on start: err: opening storage failed", BadInputMatrixTests.OneErrorLine(result));
        Assert.Empty(RunningFrom.Directory(work));
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public async Task Runbooks_that_cannot_act_are_refused_at_once_naming_the_run_and_the_way_on()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var work = environment.WorkDirectory;
        Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", work]);
        var incidents = Journal.DirectoryIn(work);
        Assert.Equal(0, (await Cli("failover", "--level", "critical", "--security-breach")).ExitCode);

        // After a critical failover nothing is down: the repair runbooks have nothing to wait for.
        var major = await Cli("failover", "--level", "major");
        var minor = await Cli("failover", "--level", "minor");

        foreach (var (result, level) in new[] { (major, "major"), (minor, "minor") })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            var line = BadInputMatrixTests.OneErrorLine(result);
            Assert.Contains($"step 1 (assess) failed: nothing is down (level none): the {level} runbook has nothing to repair; pg-a is fenced since a failover: bring it back as the standby with 'autovideo-dr failback'", line);
            Assert.Contains("nothing was changed", line);
        }
        Assert.Null(Incident.Unfinished(incidents));

        // A failback killed after its first step leaves its run unfinished: every other runbook names it.
        var crashed = await CliRunner.RunAsync(["failback", "--workdir", work], new Dictionary<string, string> { [Recovery.Runbooks.CrashPoint.AfterStepVariable] = "1" });
        Assert.Contains("killing the process", crashed.Error);
        var run = Incident.Unfinished(incidents)!.Value.Incident.Header.RunId;
        var journals = Journal.All(incidents).Count;

        var other = await Cli("failover", "--level", "major");
        var plan = await Cli("failover", "--level", "critical", "--dry-run");

        var expected = $"run {run} (failback on local:{work}, declared by";
        var resume = $"1 of 5 steps done) is unfinished; resume it with 'autovideo-dr failback --workdir {work}', or end it with 'autovideo-dr incident abort \"reason\"'";
        Assert.True(other.ExitCode == 1, other.ToString());
        Assert.Contains(expected, BadInputMatrixTests.OneErrorLine(other));
        Assert.Contains(resume, other.Error);
        Assert.DoesNotContain("step 1", other.Error); // refused before any step
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains($"refused now: {expected}", plan.Out);
        Assert.Contains($"warning: this run would be refused: {expected}", plan.Error);
        Assert.Equal(journals, Journal.All(incidents).Count);

        var resumed = await Cli("failback");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"resuming run {run}", resumed.Error);
        Assert.Null(Incident.Unfinished(incidents));
    }
}
