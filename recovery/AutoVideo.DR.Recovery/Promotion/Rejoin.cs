using System.Diagnostics;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Promotion;

public sealed record RejoinResult(string Node, string Primary, string Method, TimeSpan Duration);

/// <summary>
/// The failback path: turns the fenced old primary into a streaming standby of the promoted one.
/// pg_rewind first (fast: copies only what diverged); a fresh base backup when rewind cannot.
/// </summary>
public sealed class Rejoin(ILogger<Rejoin> logger)
{
    public async Task<RejoinResult> RejoinAsync(string workDirectory, bool forceBaseBackup, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var state = LocalEnvironmentState.Load(Path.GetFullPath(workDirectory));
        var installation = PostgresInstallation.Locate();
        var account = ServerAccount.Current();
        var primaryNode = state.NodeWithRole(NodeRole.Primary);
        var node = state.Nodes.FirstOrDefault(n => n.Role == NodeRole.Fenced)
            ?? throw new RecoveryException($"no fenced node to rejoin in {state.WorkDirectory} (roles: {string.Join(", ", state.Nodes.Select(n => $"{n.Name}={n.Role.Name()}"))}); rejoin follows a promotion");
        var server = LocalEnvironment.Server(installation, account, node);
        var primary = LocalEnvironment.Server(installation, account, primaryNode);
        await server.StopAsync(ct, mode: "fast");
        await EnsureSlotAsync(primary, ct);
        // pg_rewind reads the source's timeline from its control file, which a promoted server updates
        // only at its first checkpoint, and that checkpoint runs in the background after promotion. Before
        // it ends pg_rewind finds "the same timeline" and the node falls back to a base backup (the
        // pg_rewind documentation: "it is necessary to execute a CHECKPOINT after promotion").
        await DatabaseConnection.ExecuteAsync(primary.ConnectionString("postgres"), "CHECKPOINT", ct);

        string method;
        if (!forceBaseBackup && await TryRewindAsync(server, primaryNode, ct) && await TryStartRewoundAsync(server, node, state.ArchiveDirectory, account, ct))
        {
            method = "pg_rewind";
        }
        else
        {
            method = "pg_basebackup (fresh copy)";
            await server.StopAsync(ct, mode: "immediate");
            await new LocalEnvironment(Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalEnvironment>.Instance)
                .StandbyFromBaseBackupAsync(installation, account, primaryNode, node, state.ArchiveDirectory, ct);
        }
        await LocalEnvironment.WaitForStreamingAsync(primary, ct);
        state.WithRoles(new Dictionary<string, NodeRole> { [node.Name] = NodeRole.Standby }).Save();
        return new RejoinResult(node.Name, primaryNode.Name, method, clock.Elapsed);
    }

    async Task<bool> TryRewindAsync(PostgresServer server, LocalNodeState primary, CancellationToken ct)
    {
        // pg_rewind wants a cleanly stopped target; it runs crash recovery itself, which a standby.signal would turn into recovery.
        File.Delete(Path.Combine(server.DataDirectory, "standby.signal"));
        server.ClearStaleLock();
        var result = await server.RunAsync("pg_rewind",
            ["--target-pgdata", server.DataDirectory,
             "--source-server", $"host={PostgresServer.Host} port={primary.Port} user={PostgresServer.Superuser} dbname=postgres",
             "--write-recovery-conf", "--no-sync"], ct, allowFailure: true);
        if (result.ExitCode == 0) return true;
        logger.LogWarning("pg_rewind failed, taking a fresh base backup instead: {Error}", result.LastErrorLine);
        return false;
    }

    /// <summary>
    /// A rewound node can still refuse to start (seen after a switch back: its minimum recovery point
    /// lies on a timeline the new history does not contain); then the caller takes a base backup.
    /// </summary>
    async Task<bool> TryStartRewoundAsync(PostgresServer server, LocalNodeState node, string archiveDirectory, ServerAccount account, CancellationToken ct)
    {
        await ServerConfiguration.WriteAsync(node.DataDirectory, archiveDirectory, account, ct);
        Fence.Lift(node.DataDirectory);
        try
        {
            await server.StartAsync(ct);
            return true;
        }
        catch (RecoveryException e)
        {
            logger.LogWarning("the rewound node did not start, taking a fresh base backup instead: {Error}", e.Message);
            return false;
        }
    }

    static async Task EnsureSlotAsync(PostgresServer primary, CancellationToken ct)
    {
        await DatabaseConnection.ExecuteAsync(primary.ConnectionString("postgres"),
            "SELECT pg_create_physical_replication_slot($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", ct, LocalEnvironment.StandbySlot);
    }
}
