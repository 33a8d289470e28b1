using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Cli;

/// <summary>
/// A database named on the command line (backup --from, restore --target): "primary" or "standby"
/// (a node of the local environment in --workdir) or a connection string. A connection string
/// never carries a password: the command line is readable by every user of the machine (ps,
/// /proc/*/cmdline), so the password comes from PGPASSWORD or a passfile (~/.pgpass, PGPASSFILE),
/// which Npgsql reads when the connection string has none.
/// </summary>
public static class DatabaseArgument
{
    const string Accepted = "accepted: primary, standby or a connection string (Host=...;Port=...;Username=...;Database=...)";

    /// <summary>The option, checked by the parser: a role it does not know, a connection string Npgsql cannot read or one with a password is a usage error (exit 2).</summary>
    /// <paramref name="orDirectory"/>: a path (one holding '/' and no '=') is also accepted: the new data
    /// directory of a point-in-time restore, which the command checks goes with one.
    public static Option<string> Option(string name, string description, bool orDirectory = false)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => NodeRole.Standby.Name() };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || (orDirectory && IsDirectory(value))) return;
            if (Problem(value, name) is { } problem) result.AddError(problem);
        });
        return option;
    }

    public static bool IsDirectory(string value) => value.Contains('/') && !value.Contains('=');

    /// <summary>What is wrong with <paramref name="value"/> as a database, or null. The value itself is not repeated: a connection string may carry a password.</summary>
    static string? Problem(string value, string option)
    {
        if (!value.Contains('='))
            return NodeRoles.TryParse(value) is { } r and not NodeRole.Fenced ? null : $"{option} '{value}' is not understood; {Accepted}";
        if (DatabaseConnection.Problem(value) is { } problem) return $"{option} is not a usable connection string ({problem}); {Accepted}";
        return string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(value).Password) ? null
            : $"{option} carries a password, which every user of this machine can read on the command line; leave Password out and set PGPASSWORD or a passfile (~/.pgpass, or PGPASSFILE)";
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
