using AutoVideo.DR.Cli;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>The time left counts the phases still to come, and says so when it cannot.</summary>
public sealed class ProgressDisplayTests
{
    static PhaseProgress Phase(TransferPhase phase, long done, long total, PhaseState state, double elapsed, double? expected = null) =>
        new(phase, ProgressUnit.Bytes, done, total, state, TimeSpan.FromSeconds(elapsed), expected is { } e ? TimeSpan.FromSeconds(e) : null);

    [Fact]
    public void The_running_phase_at_its_rate_plus_the_measured_phases_to_come()
    {
        // Load: a quarter done in 10 s, 30 s to go; verify expected 20 s; indexes expected 5 s; check done.
        var progress = new TransferProgress("restore",
        [
            Phase(TransferPhase.Check, 100, 100, PhaseState.Done, 1),
            Phase(TransferPhase.Load, 250, 1000, PhaseState.Running, 10, expected: 12),
            Phase(TransferPhase.Verify, 0, 5000, PhaseState.Pending, 0, expected: 20),
            Phase(TransferPhase.Indexes, 0, 3, PhaseState.Pending, 0, expected: 5),
        ]);

        Assert.Equal("0:00:55 left", ProgressDisplay.TimeLeft(progress));
    }

    [Fact]
    public void A_phase_nobody_measured_makes_it_a_lower_bound_naming_the_phase()
    {
        var progress = new TransferProgress("restore",
        [
            Phase(TransferPhase.Load, 500, 1000, PhaseState.Running, 10),
            Phase(TransferPhase.Verify, 0, 5000, PhaseState.Pending, 0),
            Phase(TransferPhase.Swap, 0, 3, PhaseState.Pending, 0),
        ]);

        Assert.Equal("at least 0:00:10 left (not yet estimated: verify, swap)", ProgressDisplay.TimeLeft(progress));
    }

    [Fact]
    public void Before_any_rate_is_known_it_says_so_instead_of_zero()
    {
        var progress = new TransferProgress("backup", [Phase(TransferPhase.Copy, 0, 1000, PhaseState.Running, 0.2)]);

        Assert.StartsWith("time left not estimated yet (copy", ProgressDisplay.TimeLeft(progress));
        Assert.DoesNotContain("0:00:00", ProgressDisplay.TimeLeft(progress));
    }
}
