using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// A recovery procedure as ordered steps. The same object is what <c>--dry-run</c> prints and
/// what the executor runs, so the plan shown is the plan executed.
/// </summary>
/// <remarks><paramref name="ServiceRestoredBy"/> names the step whose end is service restored: the end of the RTO.</remarks>
public sealed record Runbook(string Name, DisasterLevel? Level, string Target, IReadOnlyList<RunbookStep> Steps, string ServiceRestoredBy)
{
    public IReadOnlyList<string> StepIds => Steps.Select(s => s.Id).ToList();
}
