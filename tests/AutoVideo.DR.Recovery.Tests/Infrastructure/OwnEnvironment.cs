using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>
/// A local environment of one test's own, for tests that promote, fence or kill nodes and so
/// cannot share one. Removed, with every server stopped, on dispose.
/// </summary>
public sealed class OwnEnvironment : IAsyncDisposable
{
    readonly TemporaryDirectory directory = new();

    public LocalEnvironmentState State { get; private set; } = null!;
    public string WorkDirectory => directory.Path;

    public static async Task<OwnEnvironment> StartAsync()
    {
        var environment = new OwnEnvironment();
        environment.State = await LocalEnvironmentFixture.StartAsync(environment.WorkDirectory);
        return environment;
    }

    /// <summary>The state as it is on disk now (roles change with promotion and rejoin).</summary>
    public LocalEnvironmentState Current => LocalEnvironmentState.Load(WorkDirectory);

    public PostgresServer Server(string nodeName) =>
        LocalEnvironment.Server(null, ServerAccount.Current(), Current.Nodes.Single(n => n.Name == nodeName));

    public string ConnectionString(string nodeName) => Current.Describe().Databases.Single(d => d.Name == nodeName).ConnectionString;

    public LocalNodeState Node(NodeRole role) => Current.NodeWithRole(role);

    public async ValueTask DisposeAsync()
    {
        await LocalEnvironmentFixture.StopAsync(WorkDirectory);
        directory.Dispose();
    }
}
