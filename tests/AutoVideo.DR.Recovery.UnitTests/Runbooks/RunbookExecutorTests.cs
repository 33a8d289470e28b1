using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Runbooks;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.UnitTests.Runbooks;

/// <summary>The executor's own rules, on small runbooks whose steps act on a file.</summary>
public sealed class RunbookExecutorTests : IDisposable
{
    readonly TemporaryDirectory directory = new();
    readonly List<string> progress = [];
    int actions;

    public void Dispose() => directory.Dispose();

    string Flag => directory.Combine("flag");

    RunbookExecutor Executor() => new(directory.Combine("incidents"), NullLogger<RunbookExecutor>.Instance, progress.Add) { CheckInterval = TimeSpan.FromMilliseconds(20) };

    RunbookStep WriteFlag(TimeSpan? timeout = null, bool writes = true) => new(
        "write-flag", "write the flag", "writes a file", timeout ?? TimeSpan.FromSeconds(5),
        (_, _) =>
        {
            actions++;
            Directory.CreateDirectory(directory.Path);
            if (writes) File.WriteAllText(Flag, "set");
            return Task.FromResult(new StepResult("flag written", new Dictionary<string, string> { ["flag"] = Flag }));
        },
        (_, _) => Task.FromResult(File.Exists(Flag) ? StepCheck.Yes("the flag exists") : StepCheck.No("no flag")));

    Runbook Book(params RunbookStep[] steps) => new("failover-minor", DisasterLevel.Minor, "test", steps, ServiceRestoredBy: steps[^1].Id);

    [Fact]
    public async Task A_step_whose_check_never_holds_fails_at_its_timeout_and_a_rerun_retries_it()
    {
        var book = Book(WriteFlag(TimeSpan.FromMilliseconds(300), writes: false));

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Executor().RunAsync(book, new RunRequest("alice"), CancellationToken.None));

        Assert.StartsWith("step 1 (write-flag) failed: did not take effect within 0.3 s: no flag", e.Message);
        Assert.Contains("run the same command again to resume at this step", e.Message);
        var (_, failed) = Incident.Load(directory.Combine("incidents"));
        Assert.Equal(StepOutcome.Failed, failed.Steps[0].Outcome);

        var done = await Executor().RunAsync(Book(WriteFlag()), new RunRequest("alice"), CancellationToken.None);
        Assert.Equal(IncidentStatus.Completed, done.Status);
        Assert.Equal(2, done.Steps[0].Attempts);
        Assert.Equal(1, done.Resumes);
        Assert.Equal(Flag, done.Facts["flag"]);
    }

    [Fact]
    public async Task A_step_started_before_a_crash_whose_check_holds_is_recorded_done_without_acting_again()
    {
        var book = Book(WriteFlag());
        var journal = Journal.Create(directory.Combine("incidents"), new RunHeader("20260101T000000Z-failover-minor", book.Name, DisasterLevel.Minor, book.Target, "alice", book.StepIds, "write-flag"));
        journal.Append(new JournalEntry(JournalKinds.StepStarted, DateTimeOffset.UtcNow, Step: 1, StepId: "write-flag"));
        Directory.CreateDirectory(directory.Path);
        File.WriteAllText(Flag, "set by the crashed run");

        var incident = await Executor().RunAsync(book, new RunRequest("alice"), CancellationToken.None);

        Assert.Equal(0, actions);
        Assert.Equal("already in effect: the flag exists", incident.Steps[0].Output);
        Assert.NotNull(incident.ActualRto);
    }

    [Fact]
    public async Task A_skipped_step_records_its_reason_and_does_not_act()
    {
        var skipped = WriteFlag() with { SkipWhen = _ => "nothing to do" };
        var incident = await Executor().RunAsync(Book(skipped), new RunRequest("alice"), CancellationToken.None);

        Assert.Equal((StepOutcome.Skipped, "nothing to do"), (incident.Steps[0].Outcome, incident.Steps[0].Output));
        Assert.Equal(0, actions);
        Assert.Contains(progress, l => l.EndsWith("skipped (nothing to do)"));
    }

    [Fact]
    public async Task An_unfinished_run_of_another_runbook_is_refused_naming_it()
    {
        await Assert.ThrowsAsync<RecoveryException>(() => Executor().RunAsync(Book(WriteFlag(TimeSpan.FromMilliseconds(100), writes: false)), new RunRequest("alice"), CancellationToken.None));
        var other = new Runbook("failover-major", DisasterLevel.Major, "test", [WriteFlag()], "write-flag");

        var e = await Assert.ThrowsAsync<RecoveryException>(() => Executor().RunAsync(other, new RunRequest("bob"), CancellationToken.None));

        Assert.Contains("(failover-minor on test, declared by alice", e.Message);
        Assert.Contains("'autovideo-dr incident abort \"reason\"'", e.Message);
    }
}
