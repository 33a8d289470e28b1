using System.Diagnostics;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoVideo.DR.Recovery.Promotion;

/// <summary>The outcome of a promotion: who serves writes now, how the old primary was fenced, and how long each part took.</summary>
public sealed record PromotionResult(
    string NewPrimary,
    int NewPrimaryPort,
    string OldPrimary,
    FenceResult Fence,
    TimeSpan FenceDuration,
    TimeSpan PromoteDuration,
    TimeSpan TotalDuration);

/// <summary>
/// Promotes the local standby: fence the old primary first (so there is never a moment with two
/// writable nodes), pg_promote() the standby, wait until it accepts writes, then record the new
/// roles. Refuses when the standby is not in recovery: there would be nothing to promote.
/// </summary>
public sealed class LocalPromotion(ILogger<LocalPromotion> logger)
{
    public async Task<PromotionResult> PromoteAsync(string workDirectory, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var state = LocalEnvironmentState.Load(Path.GetFullPath(workDirectory));
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        var standbyNode = state.NodeWithRole(NodeRole.Standby);
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var standby = LocalEnvironment.Server(installation, account, standbyNode);

        await EnsureInRecoveryAsync(standby, standbyNode, state.Database, ct);

        var fenceClock = Stopwatch.StartNew();
        logger.LogInformation("Fencing old primary {Node}", primaryNode.Name);
        var fence = await Fence.ApplyAsync(LocalEnvironment.Server(installation, account, primaryNode), standbyNode, account, ct);
        fenceClock.Stop();

        var promoteClock = Stopwatch.StartNew();
        logger.LogInformation("Promoting {Node}", standbyNode.Name);
        if (!await DatabaseConnection.ScalarAsync<bool>(standby.ConnectionString(state.Database), "SELECT pg_promote(wait => true, wait_seconds => 60)", ct))
            throw new RecoveryException($"{standbyNode.Name} did not finish promotion within 60 s; see {standbyNode.LogFile}");
        await WaitUntilWritableAsync(standby, state.Database, ct);
        promoteClock.Stop();

        state.WithRoles(new Dictionary<string, NodeRole> { [standbyNode.Name] = NodeRole.Primary, [primaryNode.Name] = NodeRole.Fenced }).Save();
        return new PromotionResult(standbyNode.Name, standbyNode.Port, primaryNode.Name, fence with { Node = primaryNode.Name },
            fenceClock.Elapsed, promoteClock.Elapsed, total.Elapsed);
    }

    static async Task EnsureInRecoveryAsync(PostgresServer standby, LocalNodeState node, string database, CancellationToken ct)
    {
        bool inRecovery;
        try
        {
            inRecovery = await DatabaseConnection.ScalarAsync<bool>(standby.ConnectionString(database), "SELECT pg_is_in_recovery()", ct);
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            throw new RecoveryException($"cannot reach the standby {node.Name} on port {node.Port} to promote it: {DatabaseConnection.Message(e)}", e);
        }
        if (!inRecovery)
            throw new RecoveryException($"{node.Name} on port {node.Port} is not in recovery (it already accepts writes); nothing to promote — see 'autovideo-dr health'");
    }

    /// <summary>Writable means a transaction id can be assigned: impossible while in recovery.</summary>
    internal static async Task WaitUntilWritableAsync(PostgresServer server, string database, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                // The session's own setting: a node held off from clients is read-only by default, yet writable.
                await DatabaseConnection.ExecuteAsync(server.ConnectionString(database), "SET default_transaction_read_only = off; SELECT pg_current_xact_id()", ct);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }
        }
    }
}
