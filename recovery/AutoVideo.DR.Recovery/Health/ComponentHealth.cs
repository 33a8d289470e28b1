using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Health;

public enum ComponentStatus
{
    Healthy,
    Degraded,
    Down,
}

/// <summary>What kind of part of the Auto Video System a probe looked at; the assessment weighs them differently.</summary>
public enum ComponentKind
{
    Database,
    Cache,
    ObjectStore,
    Service,
}

/// <summary>
/// The outcome of probing one component. Database probes fill the replication fields:
/// whether the server is in recovery, and how far it is behind in bytes and seconds.
/// </summary>
public sealed record ComponentHealth(
    string Name,
    ComponentKind Kind,
    ComponentStatus Status,
    string Detail,
    TimeSpan ProbeDuration,
    bool? InRecovery = null,
    long? LagBytes = null,
    double? LagSeconds = null,
    NodeRole? ExpectedRole = null)
{
    public bool IsDown => Status == ComponentStatus.Down;
}

/// <summary>Every component of an environment probed at one moment.</summary>
public sealed record HealthReport(string Environment, DateTimeOffset At, IReadOnlyList<ComponentHealth> Components)
{
    public bool AllHealthy => Components.All(c => c.Status == ComponentStatus.Healthy);
}
