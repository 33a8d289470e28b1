using System.Text.Json;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.SystemRecovery;

/// <summary>
/// A local environment with everything a system recovery point covers: PostgreSQL primary and
/// standby, Redis primary and replica, and versioned media buckets on the collection's
/// moto_server, created and removed through the CLI as an operator would (credentials in the
/// standard AWS variables).
/// </summary>
public sealed class SystemFixture : IAsyncLifetime
{
    readonly TemporaryDirectory directory = new();
    readonly MotoS3Fixture moto = new();

    public string WorkDirectory => directory.Path;
    public LocalEnvironmentState State => LocalEnvironmentState.Load(WorkDirectory);
    public string Primary => State.Describe().Primary!.ConnectionString;
    public Media.VersionedBuckets S3 { get; private set; } = null!;
    public string Bucket(string purpose) => State.Media!.Buckets.Single(b => b.Purpose.ToString().Equals(purpose, StringComparison.OrdinalIgnoreCase)).Name;
    public Recovery.Cache.RedisServer CachePrimary => Recovery.Cache.LocalCache.Server(State.Caches!.Single(c => c.Role == Environments.NodeRole.Primary));

    public async Task InitializeAsync()
    {
        await moto.InitializeAsync();
        S3 = new Media.VersionedBuckets(moto);
        var up = await CliAsync("local", "up", "--media-endpoint", moto.Endpoint);
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    public Task<CliResult> CliAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--workdir", WorkDirectory], MotoS3Fixture.CliEnvironment(), TimeSpan.FromMinutes(3));

    public async Task<string?> RedisAsync(params object[] command)
    {
        await using var connection = await Recovery.Cache.RespConnection.OpenAsync(CachePrimary.Endpoint, default);
        return Recovery.Cache.RespConnection.AsText(await connection.CallAsync(default, command));
    }

    public static JsonElement Json(CliResult result) => JsonDocument.Parse(result.Out).RootElement;

    public async Task DisposeAsync()
    {
        await CliAsync("local", "down");
        S3.Dispose();
        await moto.DisposeAsync();
        directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system recovery point";
}
