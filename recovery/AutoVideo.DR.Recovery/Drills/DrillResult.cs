using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>A finished drill: its report, where it was written, and the figures behind it.</summary>
public sealed record DrillResult(RecoveryReport Report, ReportFiles Files, DrillMeasurements Measurements)
{
    public bool Passed => Report.Passed;
}
