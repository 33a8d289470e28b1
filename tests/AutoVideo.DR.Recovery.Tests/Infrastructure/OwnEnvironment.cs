using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>
/// A real local environment (PostgreSQL 15 primary + streaming standby) in a directory of its own:
/// the one lifecycle every server test uses. StartAsync creates the directory and starts the nodes;
/// dispose stops every server (whatever roles they hold by then) and removes the directory.
/// </summary>
public sealed class OwnEnvironment : IAsyncDisposable
{
    readonly TemporaryDirectory directory = new();

    public LocalEnvironmentState State { get; private set; } = null!;
    public string WorkDirectory => directory.Path;

    /// <summary>Starts an environment in a new directory; <paramref name="options"/> shapes it (e.g. with monitoring) from that directory.</summary>
    public static async Task<OwnEnvironment> StartAsync(Func<string, LocalEnvironmentOptions>? options = null)
    {
        var environment = new OwnEnvironment();
        try
        {
            environment.State = await new LocalEnvironment(NullLogger<LocalEnvironment>.Instance)
                .UpAsync(options?.Invoke(environment.WorkDirectory) ?? new LocalEnvironmentOptions(environment.WorkDirectory), CancellationToken.None);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>The state as it is on disk now (roles change with promotion and rejoin).</summary>
    public LocalEnvironmentState Current => LocalEnvironmentState.Load(WorkDirectory);

    public PostgresServer Server(string nodeName) =>
        LocalEnvironment.Server(null, ServerAccount.Current(), Current.Nodes.Single(n => n.Name == nodeName));

    public string ConnectionString(string nodeName) => Current.Describe().Databases.Single(d => d.Name == nodeName).ConnectionString;

    public LocalNodeState Node(NodeRole role) => Current.NodeWithRole(role);

    /// <summary>Waits until the standby has replayed everything the primary has written so far.</summary>
    public async Task WaitForStandbyAsync()
    {
        var description = Current.Describe();
        var target = await Sql.ScalarAsync<string>(description.Primary!.ConnectionString, "SELECT pg_current_wal_lsn()::text");
        await Sql.EventuallyAsync(() => Sql.ScalarAsync<bool>(description.Standby!.ConnectionString, $"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"), "the standby replaying the primary's writes");
    }

    public async ValueTask DisposeAsync()
    {
        if (LocalEnvironmentState.TryLoad(WorkDirectory) is not null)
            await new LocalEnvironment(NullLogger<LocalEnvironment>.Instance).DownAsync(WorkDirectory, keepData: false, CancellationToken.None);
        directory.Dispose();
    }
}
