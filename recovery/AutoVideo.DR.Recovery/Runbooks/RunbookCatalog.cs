using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>The runbook for a disaster level, or the failback: the one place the CLI asks for a plan.</summary>
public static class RunbookCatalog
{
    public static Runbook Failover(DisasterLevel level, IRunbookTarget target, RestoreSources restore, IncidentReport report) => level switch
    {
        DisasterLevel.Critical => CriticalRunbook.Build(target, restore, report),
        DisasterLevel.Major => MajorRunbook.Build(target, report),
        _ => MinorRunbook.Build(target, report),
    };

    public static Runbook Failback(IRunbookTarget target, IncidentReport report, bool switchBack) => FailbackRunbook.Build(target, report, switchBack);
}
