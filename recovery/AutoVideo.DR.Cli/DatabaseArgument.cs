using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Cli;

/// <summary>
/// A database named on the command line (backup --from, restore --target): "primary" or "standby"
/// (a node of the local environment in --workdir) or a connection string.
/// </summary>
public static class DatabaseArgument
{
    public static string Resolve(string workDirectory, string value, string option)
    {
        if (value.Contains('=')) return value;
        var role = NodeRoles.TryParse(value) is { } r and not NodeRole.Fenced
            ? r
            : throw new RecoveryException($"{option} '{value}' is not understood; accepted: primary, standby or a connection string (Host=...;Port=...;Username=...;Database=...)");
        var state = LocalEnvironmentState.Load(workDirectory);
        return state.Describe().Databases.FirstOrDefault(d => d.Role == role)?.ConnectionString
            ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no {value} now; pass a connection string to {option}");
    }
}
