using System.Text;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>The dry-run view of a runbook: its steps in order, as the executor would run them.</summary>
public static class RunbookPlan
{
    /// <summary>Renders the plan; steps an unfinished run already did are marked, since a rerun resumes after them.</summary>
    public static string Render(Runbook runbook, Incident? unfinished = null)
    {
        var text = new StringBuilder();
        text.AppendLine($"{runbook.Name} on {runbook.Target}{(runbook.Level is { } l ? $" (level {l.Name()})" : "")}: {runbook.Steps.Count} steps");
        for (var i = 0; i < runbook.Steps.Count; i++)
        {
            var step = runbook.Steps[i];
            var done = unfinished is not null && unfinished.Header.Steps.SequenceEqual(runbook.StepIds) && unfinished.IsDone(i + 1)
                ? $"  [done in run {unfinished.Header.RunId}]" : "";
            text.AppendLine($"{i + 1,2}. {step.Id,-22} {step.Title} (timeout {step.Timeout.TotalSeconds:0} s){done}");
            text.AppendLine($"    {step.Description}");
        }
        return text.ToString();
    }
}
