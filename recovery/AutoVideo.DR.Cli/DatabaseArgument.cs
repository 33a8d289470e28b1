using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Cli;

/// <summary>
/// A database named on the command line (backup --from, restore --target): "primary" or "standby"
/// (a node of the local environment in --workdir) or a connection string.
/// </summary>
public static class DatabaseArgument
{
    const string Accepted = "accepted: primary, standby or a connection string (Host=...;Port=...;Username=...;Database=...)";

    /// <summary>The option, checked by the parser: a role it does not know or a connection string Npgsql cannot read is a usage error (exit 2).</summary>
    public static Option<string> Option(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => NodeRole.Standby.Name() };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && Problem(value, name) is { } problem) result.AddError(problem);
        });
        return option;
    }

    /// <summary>What is wrong with <paramref name="value"/> as a database, or null. The value itself is not repeated: a connection string may carry a password.</summary>
    static string? Problem(string value, string option)
    {
        if (!value.Contains('='))
            return NodeRoles.TryParse(value) is { } r and not NodeRole.Fenced ? null : $"{option} '{value}' is not understood; {Accepted}";
        return DatabaseConnection.Problem(value) is { } problem ? $"{option} is not a usable connection string ({problem}); {Accepted}" : null;
    }

    public static string Resolve(string workDirectory, string value, string option)
    {
        if (Problem(value, option) is { } problem) throw new RecoveryException(problem);
        if (value.Contains('=')) return value;
        var role = NodeRoles.TryParse(value)!.Value;
        var state = LocalEnvironmentState.Load(workDirectory);
        return state.Describe().Databases.FirstOrDefault(d => d.Role == role)?.ConnectionString
            ?? throw new RecoveryException($"the local environment in {state.WorkDirectory} has no {value} now; pass a connection string to {option}");
    }
}
