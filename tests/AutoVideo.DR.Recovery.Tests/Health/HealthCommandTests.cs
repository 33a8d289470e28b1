using System.Text.Json;

namespace AutoVideo.DR.Recovery.Tests.Health;

[Collection(LocalEnvironmentCollection.Name)]
public sealed class HealthCommandTests(LocalEnvironmentFixture environment)
{
    [Fact]
    public async Task Health_as_json_gives_each_node_its_role_and_replication_lag()
    {
        var result = await CliRunner.RunAsync("health", "--workdir", environment.WorkDirectory, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var components = json.RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.False(components["pg-a"].GetProperty("inRecovery").GetBoolean());
        Assert.True(components["pg-b"].GetProperty("inRecovery").GetBoolean());
        Assert.Equal("healthy", components["pg-b"].GetProperty("status").GetString());
        Assert.True(components["pg-b"].GetProperty("lagBytes").GetInt64() >= 0);
        Assert.True(components["pg-b"].GetProperty("lagSeconds").GetDouble() >= 0);
    }

    [Fact]
    public async Task Assess_of_a_healthy_environment_prints_a_table_and_level_none()
    {
        var result = await CliRunner.RunAsync("assess", "--workdir", environment.WorkDirectory);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("component", result.Out);
        Assert.Contains("level: none", result.Out);
    }
}

public sealed class HealthOfAFailedEnvironmentTests
{
    [Fact]
    public async Task With_every_server_down_health_shows_refused_connections_exits_non_zero_and_assess_says_critical()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        environment.Server("pg-a").Kill();
        await environment.Server("pg-b").StopAsync(CancellationToken.None);

        var health = await CliRunner.RunAsync("health", "--workdir", environment.WorkDirectory);
        var assess = await CliRunner.RunAsync("assess", "--workdir", environment.WorkDirectory, "--json");

        Assert.Equal(1, health.ExitCode);
        Assert.Equal(2, health.Out.Split('\n').Count(l => l.Contains(" down ") && l.Contains("refused", StringComparison.OrdinalIgnoreCase)));
        using var json = JsonDocument.Parse(assess.Out);
        Assert.Equal("critical", json.RootElement.GetProperty("level").GetString());
        Assert.Equal(3600, json.RootElement.GetProperty("rtoSeconds").GetDouble());
    }
}
