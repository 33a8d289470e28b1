using System.Text.Json;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

public sealed class StackHealthTests
{
    [Fact]
    public async Task Health_of_the_stacks_probes_the_databases_their_outputs_name()
    {
        using var pulumi = new PulumiStandIn();

        var result = await CliRunner.RunAsync(["health", "--stacks", "prod", "dr", "--json", "--workdir", pulumi.WorkDirectory], pulumi.Environment());

        // The stand-in's endpoints are 127.0.0.1:1, where nothing listens: both databases are down.
        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("stacks:prod+dr", json.RootElement.GetProperty("environment").GetString());
        var databases = json.RootElement.GetProperty("components").EnumerateArray().Where(c => c.GetProperty("kind").GetString() == "database").ToList();
        Assert.Equal(2, databases.Count);
        Assert.All(databases, d => Assert.Equal("down", d.GetProperty("status").GetString()));
        Assert.Contains(pulumi.Calls, c => c.Contains("stack output") && c.Contains("prod"));
        Assert.Contains(pulumi.Calls, c => c.Contains("stack output") && c.Contains("dr"));
    }

    [Fact]
    public async Task Assess_of_a_stack_that_does_not_exist_names_it()
    {
        using var pulumi = new PulumiStandIn();
        var result = await CliRunner.RunAsync(["assess", "--stacks", "staging", "--workdir", pulumi.WorkDirectory], pulumi.Environment());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("staging", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
    }
}
