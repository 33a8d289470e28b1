using System.Diagnostics;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>
/// Probes one Redis node of an environment: does it answer PING, which role does it play
/// (INFO replication), and is a replica's link to its primary up. A node whose actual role
/// contradicts the recorded one is degraded, as for the databases.
/// </summary>
public sealed class CacheProbe(TimeSpan? timeout = null)
{
    readonly TimeSpan timeout = timeout ?? TimeSpan.FromSeconds(2);

    public async Task<ComponentHealth> ProbeAsync(CacheNode node, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return await ProbeCoreAsync(node, clock, ct).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return Down(node, $"unreachable: no answer within {timeout.TotalMilliseconds:0} ms (hung?)", clock);
        }
        catch (RecoveryException e)
        {
            return Down(node, "unreachable: " + e.Message, clock);
        }
    }

    static ComponentHealth Down(CacheNode node, string detail, Stopwatch clock) =>
        new(node.Name, ComponentKind.Cache, ComponentStatus.Down, detail, clock.Elapsed, ExpectedRole: node.Role);

    async Task<ComponentHealth> ProbeCoreAsync(CacheNode node, Stopwatch clock, CancellationToken ct)
    {
        await using var connection = await RespConnection.OpenAsync(node.Endpoint, ct, timeout);
        var pong = await connection.CallTextAsync(ct, "PING");
        var info = await connection.InfoAsync("replication", ct);
        var isReplica = info.GetValueOrDefault("role") == "slave";
        var linkUp = info.GetValueOrDefault("master_link_status") == "up";
        var mismatch = node.Role switch
        {
            NodeRole.Primary when isReplica => "recorded as primary but replicates another server",
            NodeRole.Standby when !isReplica => "recorded as replica but accepts writes (split-brain risk)",
            NodeRole.Fenced when !isReplica => "fenced but accepts writes (split-brain risk)",
            _ => null,
        };
        var healthy = pong == "PONG" && mismatch is null && (!isReplica || linkUp || node.Role == NodeRole.Fenced);
        var detail = mismatch ?? (isReplica
            ? $"replica of {info.GetValueOrDefault("master_host")}:{info.GetValueOrDefault("master_port")}, link {info.GetValueOrDefault("master_link_status")}"
            : $"primary, {info.GetValueOrDefault("connected_slaves") ?? "0"} replica(s) connected");
        return new ComponentHealth(node.Name, ComponentKind.Cache, healthy ? ComponentStatus.Healthy : ComponentStatus.Degraded,
            $"{detail} at {node.Endpoint}", clock.Elapsed, InRecovery: isReplica, ExpectedRole: node.Role);
    }
}
