using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Promotion;

/// <summary>How an old primary was fenced, in words the report can print.</summary>
public sealed record FenceResult(string Node, bool WasRunning, string Method);

/// <summary>
/// Fences an old primary so it can never accept a write again: if it still runs (hung or cut off, it
/// would otherwise keep taking writes: split brain) it is killed outright, postmaster and backends,
/// since a hung server ignores a polite shutdown; then it gets a
/// standby.signal and a primary_conninfo that points at the new primary, so that however it is
/// started again it comes up in recovery, read-only.
/// </summary>
public static class Fence
{
    public const string MarkerFile = "autovideo-dr.fenced";

    public static async Task<FenceResult> ApplyAsync(PostgresServer oldPrimary, LocalNodeState newPrimary, ServerAccount account, CancellationToken ct)
    {
        var wasRunning = oldPrimary.IsRunning();
        var killed = wasRunning ? oldPrimary.KillServerAndBackends() : [];

        var data = oldPrimary.DataDirectory;
        await File.WriteAllTextAsync(Path.Combine(data, "standby.signal"), "", ct);
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.auto.conf"),
            $"\n# fenced by autovideo-dr at {DateTimeOffset.UtcNow:O}: follow the new primary, never accept writes\n" +
            $"primary_conninfo = 'host={PostgresServer.Host} port={newPrimary.Port} user={PostgresServer.Superuser} application_name=fenced'\n", ct);
        await File.WriteAllTextAsync(Path.Combine(data, MarkerFile), $"fenced in favour of {newPrimary.Name} (port {newPrimary.Port}) at {DateTimeOffset.UtcNow:O}\n", ct);
        await account.GiveToServerAsync(data, ct, isDataDirectory: true);

        var how = wasRunning ? $"still running: SIGKILL to its postmaster and {killed.Count - 1} backends; " : "found down; ";
        return new FenceResult(Path.GetFileName(data), wasRunning,
            how + $"standby.signal + primary_conninfo to {newPrimary.Name} written into its data directory: if started again it runs in recovery and refuses writes");
    }

    public static bool IsFenced(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, MarkerFile));

    /// <summary>Lifts the fence marker once the node has been rebuilt as a proper standby.</summary>
    public static void Lift(string dataDirectory) => File.Delete(Path.Combine(dataDirectory, MarkerFile));
}
