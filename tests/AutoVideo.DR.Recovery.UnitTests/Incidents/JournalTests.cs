using AutoVideo.DR.Recovery.Objectives;
using System.Diagnostics;
using AutoVideo.DR.Recovery.Incidents;

namespace AutoVideo.DR.Recovery.UnitTests.Incidents;

public sealed class JournalTests : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    static RunHeader Header(string id) => new(id, "failover-critical", DisasterLevel.Critical, "local:/x", "alice", ["assess", "promote-standby"], "promote-standby");

    [Fact]
    public void A_torn_last_line_from_a_crash_is_ignored_and_every_earlier_line_survives()
    {
        var journal = Journal.Create(directory.Path, Header("20260101T000000Z-failover-critical"));
        journal.Append(new JournalEntry(JournalKinds.StepStarted, DateTimeOffset.UtcNow, Step: 1, StepId: "assess"));
        journal.Append(new JournalEntry(JournalKinds.StepCompleted, DateTimeOffset.UtcNow, Step: 1, StepId: "assess", Output: "ok", Facts: new Dictionary<string, string> { ["standby"] = "pg-b" }));
        File.AppendAllText(journal.Path, "{\"kind\":\"step-sta");

        var incident = Incident.From(journal.Read());

        Assert.Equal(3, journal.Read().Count);
        Assert.True(incident.IsDone(1));
        Assert.Equal(StepOutcome.Pending, incident.Steps[1].Outcome);
        Assert.Equal("pg-b", incident.Facts["standby"]);
        Assert.Equal(IncidentStatus.Running, incident.Status);
        Assert.Equal(journal.Path, Incident.Unfinished(directory.Path)!.Value.Journal.Path);
    }

    [Fact]
    public void Status_updates_are_recorded_with_their_time_and_author_and_an_abort_ends_the_run()
    {
        Journal.Create(directory.Path, Header("20260101T000000Z-failover-critical"));
        var (_, update) = IncidentUpdates.Post(directory.Path, "bob", "  standby promoted  ");
        var aborted = IncidentUpdates.Abort(directory.Path, "bob", "wrong level declared");

        Assert.Equal("standby promoted", update.Text);
        Assert.Equal("bob", aborted.Updates.Single().Author);
        Assert.Equal(IncidentStatus.Aborted, aborted.Status);
        Assert.Null(Incident.Unfinished(directory.Path));
    }

    [Fact]
    public void A_second_run_is_refused_while_another_process_holds_the_lock_naming_its_pid_and_start()
    {
        Directory.CreateDirectory(directory.Path);
        var path = Path.Combine(directory.Path, RunLock.FileName);
        // Another process holding the kernel lock on the file, as a running autovideo-dr does.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", path, "sleep", "30"]))!;
        File.WriteAllText(Path.Combine(directory.Path, RunLock.HolderFileName),
            $$"""{"Pid":{{holder.Id}},"StartedAt":"2026-11-25T09:00:00+00:00","Command":"autovideo-dr failover-critical (local:/x)"}""");
        try
        {
            SpinWait.SpinUntil(() => !CanLock(path), TimeSpan.FromSeconds(10));
            var e = Assert.Throws<RecoveryException>(() => RunLock.Acquire(directory.Path, "autovideo-dr failover-major"));
            Assert.Equal($"another run holds the lock: 'autovideo-dr failover-critical (local:/x)' (pid {holder.Id}, started 2026-11-25 09:00:00Z); wait for it to finish, or see 'autovideo-dr incident status'", e.Message);
        }
        finally
        {
            holder.Kill();
        }
    }

    static bool CanLock(string path)
    {
        try { using var probe = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); return true; }
        catch (IOException) { return false; }
    }

    [Fact]
    public void A_lock_whose_holder_died_is_free_and_the_dead_holder_is_reported()
    {
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        gone.WaitForExit();
        Directory.CreateDirectory(directory.Path);
        var holderFile = Path.Combine(directory.Path, RunLock.HolderFileName);
        File.WriteAllText(holderFile, $$"""{"Pid":{{gone.Id}},"StartedAt":"2026-11-25T09:00:00+00:00","Command":"crashed"}""");

        using (var taken = RunLock.Acquire(directory.Path, "autovideo-dr failover-critical"))
        {
            Assert.Equal(gone.Id, taken.TookOverFrom!.Pid);
            Assert.Equal(Environment.ProcessId, RunLock.Read(holderFile)!.Pid);
        }
        Assert.False(File.Exists(holderFile));
    }

    [Fact]
    public async Task Of_many_simultaneous_starts_exactly_one_holds_the_lock()
    {
        Directory.CreateDirectory(directory.Path);
        using var start = new Barrier(9);
        var held = 0;
        var attempts = Enumerable.Range(0, 9).Select(i => Task.Run(() =>
        {
            start.SignalAndWait();
            try
            {
                using var runLock = RunLock.Acquire(directory.Path, $"run {i}");
                Interlocked.Increment(ref held);
                Thread.Sleep(300);
                return true;
            }
            catch (RecoveryException)
            {
                return false;
            }
        })).ToList();

        var won = await Task.WhenAll(attempts);

        Assert.Equal(1, won.Count(w => w));
        Assert.Equal(1, held);
    }
}
