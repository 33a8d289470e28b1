using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>The failures a drill can inject into the primary.</summary>
public enum DisasterKind
{
    /// <summary>SIGKILL to the postmaster: the server vanishes mid-transaction, as in a host or zone loss.</summary>
    KillPrimary,
    /// <summary>Immediate shutdown: no checkpoint, clients cut off, as in an operator or orchestrator stopping it hard.</summary>
    StopPrimary,
}

public static class Disaster
{
    public static DisasterKind Parse(string text) => text switch
    {
        "kill-primary" => DisasterKind.KillPrimary,
        "stop-primary" => DisasterKind.StopPrimary,
        _ => throw new RecoveryException($"unknown disaster '{text}'; accepted: kill-primary, stop-primary"),
    };

    public static string Name(this DisasterKind kind) => kind == DisasterKind.KillPrimary ? "kill-primary" : "stop-primary";

    /// <summary>Injects the failure and says what was done, for the timeline.</summary>
    public static async Task<string> InjectAsync(DisasterKind kind, PostgresServer primary, string nodeName, CancellationToken ct)
    {
        switch (kind)
        {
            case DisasterKind.KillPrimary:
                var pid = primary.Kill() ?? throw new RecoveryException($"the primary {nodeName} is not running; there is nothing to fail");
                return $"kill -9 of {nodeName}'s postmaster (pid {pid})";
            default:
                if (!primary.IsRunning()) throw new RecoveryException($"the primary {nodeName} is not running; there is nothing to fail");
                await primary.StopAsync(ct, mode: "immediate");
                return $"pg_ctl stop -m immediate of {nodeName}";
        }
    }
}
