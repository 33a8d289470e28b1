using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>
/// One <see cref="OwnEnvironment"/> shared by a test collection, started once and removed after it.
/// Tests that change roles take an OwnEnvironment of their own instead.
/// </summary>
public sealed class LocalEnvironmentFixture : IAsyncLifetime
{
    OwnEnvironment environment = null!;

    public LocalEnvironmentState State => environment.State;
    public string WorkDirectory => environment.WorkDirectory;

    public async Task InitializeAsync() => environment = await OwnEnvironment.StartAsync();

    public async Task DisposeAsync() => await environment.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class LocalEnvironmentCollection : ICollectionFixture<LocalEnvironmentFixture>
{
    public const string Name = "local environment";
}
