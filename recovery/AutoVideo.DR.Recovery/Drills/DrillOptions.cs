namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// How a drill runs. Without a running environment in <see cref="WorkDirectory"/> the drill creates
/// one there and removes it afterwards, so a drill from a fresh clone needs nothing set up.
/// </summary>
public sealed record DrillOptions(
    string WorkDirectory,
    string Owner,
    string ReportDirectory,
    DisasterKind Disaster = DisasterKind.KillPrimary,
    int Writers = 4,
    TimeSpan? WarmUp = null,
    TimeSpan? RunAfterRecovery = null,
    bool DetachStandbyBeforeDisaster = false)
{
    public TimeSpan WarmUpTime => WarmUp ?? TimeSpan.FromSeconds(3);
    public TimeSpan AfterRecoveryTime => RunAfterRecovery ?? TimeSpan.FromSeconds(1);

    public void Validate()
    {
        if (Writers is < 1 or > 32) throw new RecoveryException($"--writers {Writers} is out of range; accepted: 1 to 32");
        if (WarmUpTime < TimeSpan.Zero || WarmUpTime > TimeSpan.FromHours(1))
            throw new RecoveryException($"--warm-up {WarmUpTime.TotalSeconds} s is out of range; accepted: 0 to 3600 seconds");
        if (string.IsNullOrWhiteSpace(Owner)) throw new RecoveryException("--owner is empty; accepted: the name of who runs the drill");
    }
}
