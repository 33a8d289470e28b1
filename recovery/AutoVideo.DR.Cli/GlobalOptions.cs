using System.CommandLine;

namespace AutoVideo.DR.Cli;

/// <summary>The options every command accepts, declared once.</summary>
public static class GlobalOptions
{
    public const string HomeVariable = "AUTOVIDEO_DR_HOME";

    public static readonly Option<string> WorkDirectory = new("--workdir")
    {
        Description = $"the local environment's working directory (default: ${HomeVariable}, else $XDG_STATE_HOME/autovideo-dr, else ~/.local/state/autovideo-dr)",
        Recursive = true,
        DefaultValueFactory = _ => DefaultWorkDirectory(),
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

    /// <summary>
    /// The user's state directory (XDG base directories), never the directory the command happens to
    /// run in: a backup run from a checkout must not leave files in it.
    /// </summary>
    public static string DefaultWorkDirectory()
    {
        if (Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home) return home;
        if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } state && Path.IsPathRooted(state))
            return Path.Combine(state, "autovideo-dr");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "autovideo-dr");
    }
}
