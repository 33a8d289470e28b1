using System.CommandLine;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Stacks;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Which environment a read-only command (health, assess) looks at: the local environment in
/// --workdir by default, or the Pulumi stacks named with --stacks, described by their outputs.
/// </summary>
public static class EnvironmentOption
{
    public static readonly Option<string[]> Stacks = new("--stacks")
    {
        Description = "describe the environment from these Pulumi stacks' outputs (e.g. --stacks prod dr) instead of the local environment",
        AllowMultipleArgumentsPerToken = true,
    };

    public static async Task<EnvironmentDescription> ResolveAsync(CliContext context, ParseResult parse, CancellationToken ct)
    {
        var stacks = parse.GetValue(Stacks) ?? [];
        if (stacks.Length == 0) return LocalEnvironmentState.Load(parse.GetValue(GlobalOptions.WorkDirectory)!).Describe();
        return await StackEnvironment.DescribeAsync(context.Stacks(), stacks, ct);
    }
}
