using System.CommandLine;

namespace AutoVideo.DR.Cli;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public const string HomeVariable = "AUTOVIDEO_DR_HOME";

    public static readonly Option<string> WorkDirectory = new("--workdir")
    {
        Description = $"the local environment's working directory (default: ${HomeVariable}, else ./.autovideo-dr)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home ? home : ".autovideo-dr",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "print results as JSON",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "log every step (to stderr)",
        Recursive = true,
    };
}
