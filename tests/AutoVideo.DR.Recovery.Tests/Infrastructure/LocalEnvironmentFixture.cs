using AutoVideo.DR.Recovery.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>
/// A real local environment (PostgreSQL 15 primary + streaming standby) started once for a test
/// collection and removed after it. Tests that change roles get an environment of their own instead.
/// </summary>
public sealed class LocalEnvironmentFixture : IAsyncLifetime
{
    readonly TemporaryDirectory directory = new();

    public LocalEnvironmentState State { get; private set; } = null!;
    public string WorkDirectory => directory.Path;

    public async Task InitializeAsync() => State = await StartAsync(directory.Path);

    public async Task DisposeAsync()
    {
        await StopAsync(directory.Path);
        directory.Dispose();
    }

    public static Task<LocalEnvironmentState> StartAsync(string workDirectory, CancellationToken ct = default) =>
        new LocalEnvironment(NullLogger<LocalEnvironment>.Instance).UpAsync(new LocalEnvironmentOptions(workDirectory), ct);

    public static async Task StopAsync(string workDirectory)
    {
        if (LocalEnvironmentState.TryLoad(workDirectory) is null) return;
        await new LocalEnvironment(NullLogger<LocalEnvironment>.Instance).DownAsync(workDirectory, keepData: false, CancellationToken.None);
    }
}

[CollectionDefinition(Name)]
public sealed class LocalEnvironmentCollection : ICollectionFixture<LocalEnvironmentFixture>
{
    public const string Name = "local environment";
}
