using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Objectives;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>The failures a drill can inject: into the primary database, or into the cache primary.</summary>
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
    /// <summary>SIGKILL to the Redis primary: the cache vanishes while the database serves (a major disaster).</summary>
    KillRedis,
}

public static class Disaster
{
    public static DisasterKind Parse(string text) => text switch
    {
        "kill-primary" => DisasterKind.KillPrimary,
        "stop-primary" => DisasterKind.StopPrimary,
        "freeze-primary" => DisasterKind.FreezePrimary,
        "kill-redis" => DisasterKind.KillRedis,
        _ => throw new RecoveryException($"unknown disaster '{text}'; accepted: kill-primary, stop-primary, freeze-primary, kill-redis"),
    };

    public static string Name(this DisasterKind kind) => kind switch
    {
        DisasterKind.KillPrimary => "kill-primary",
        DisasterKind.StopPrimary => "stop-primary",
        DisasterKind.KillRedis => "kill-redis",
        _ => "freeze-primary",
    };

    /// <summary>The level the assessment gives the disaster, and so the runbook that recovers it: the cache's loss is major, the primary database's critical.</summary>
    public static DisasterLevel Level(this DisasterKind kind) => kind == DisasterKind.KillRedis ? DisasterLevel.Major : DisasterLevel.Critical;

    /// <summary>Whether the disaster hits the cache rather than the database.</summary>
    public static bool HitsCache(this DisasterKind kind) => kind == DisasterKind.KillRedis;

    /// <summary>Injects a cache disaster (kill-redis) into the Redis primary and says what was done, for the timeline.</summary>
    public static string Inject(DisasterKind kind, RedisServer primary, string nodeName) => kind switch
    {
        DisasterKind.KillRedis => primary.Kill() is { } pid
            ? $"kill -9 of the Redis primary {nodeName} (pid {pid})"
            : throw new RecoveryException($"the Redis primary {nodeName} is not running; there is nothing to fail"),
        _ => throw new RecoveryException($"{kind.Name()} is not a cache disaster"),
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
