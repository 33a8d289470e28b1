using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>The failures a drill can inject into the primary.</summary>
public enum DisasterKind
{
    /// <summary>SIGKILL to the postmaster: the server vanishes mid-transaction, as in a host or zone loss.</summary>
    KillPrimary,
    /// <summary>Immediate shutdown: no checkpoint, clients cut off, as in an operator or orchestrator stopping it hard.</summary>
    StopPrimary,
    /// <summary>
    /// SIGSTOP to the postmaster: the gray failure. New connections hang, sessions already open go on
    /// committing on the old primary until it is fenced.
    /// </summary>
    FreezePrimary,
}

public static class Disaster
{
    public static DisasterKind Parse(string text) => text switch
    {
        "kill-primary" => DisasterKind.KillPrimary,
        "stop-primary" => DisasterKind.StopPrimary,
        "freeze-primary" => DisasterKind.FreezePrimary,
        _ => throw new RecoveryException($"unknown disaster '{text}'; accepted: kill-primary, stop-primary, freeze-primary"),
    };

    public static string Name(this DisasterKind kind) => kind switch
    {
        DisasterKind.KillPrimary => "kill-primary",
        DisasterKind.StopPrimary => "stop-primary",
        _ => "freeze-primary",
    };

    /// <summary>Injects the failure and says what was done, for the timeline.</summary>
    public static async Task<string> InjectAsync(DisasterKind kind, PostgresServer primary, string nodeName, CancellationToken ct)
    {
        switch (kind)
        {
            case DisasterKind.KillPrimary:
                var pid = primary.Kill() ?? throw new RecoveryException($"the primary {nodeName} is not running; there is nothing to fail");
                return $"kill -9 of {nodeName}'s postmaster (pid {pid})";
            case DisasterKind.FreezePrimary:
                var frozen = primary.Freeze() ?? throw new RecoveryException($"the primary {nodeName} is not running; there is nothing to fail");
                return $"SIGSTOP of {nodeName}'s postmaster (pid {frozen}): hung, open sessions still run";
            default:
                if (!primary.IsRunning()) throw new RecoveryException($"the primary {nodeName} is not running; there is nothing to fail");
                await primary.StopAsync(ct, mode: "immediate");
                return $"pg_ctl stop -m immediate of {nodeName}";
        }
    }
}
