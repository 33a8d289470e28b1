using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
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
    /// <summary>An option naming a database, checked by the parser: a malformed connection string or one with a password is a usage error.</summary>
    public static Option<string> Option(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => "standby" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || !value.Contains('=')) return;
            if (Problem(value) is { } problem) result.AddError($"{name} {problem}");
        });
        return option;
    }

    /// <summary>What is wrong with a connection string given on the command line, or null.</summary>
    public static string? Problem(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return $"is not a connection string Npgsql understands ({e.Message.Split('\n')[0].TrimEnd('.')}); accepted: Host=...;Port=...;Username=...;Database=...";
        }
        if (!string.IsNullOrEmpty(builder.Password))
            return "carries a password, which every user of this machine can read on the command line; leave Password out and set PGPASSWORD or a passfile (~/.pgpass, or PGPASSFILE)";
        if (string.IsNullOrEmpty(builder.Host)) return "names no host; accepted: Host=...;Port=...;Username=...;Database=...";
        return null;
    }

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
