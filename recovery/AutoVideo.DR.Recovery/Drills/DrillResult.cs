using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>A finished drill: its report, where it was written, the figures behind it, and the runbook run it rehearsed.</summary>
public sealed record DrillResult(RecoveryReport Report, ReportFiles Files, DrillMeasurements Measurements, Incident Run)
{
    public bool Passed => Report.Passed;
}
