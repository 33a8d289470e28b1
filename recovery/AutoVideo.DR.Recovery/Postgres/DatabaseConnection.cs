using System.Net.Sockets;
using Npgsql;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>
/// Every connection the recovery side opens goes through here: a server that cannot be reached
/// is one RecoveryException line naming it (host:port/database, never credentials), and the
/// one-statement helpers callers need are here rather than written out at each call.
/// </summary>
public static class DatabaseConnection
{
    /// <summary>Opens <paramref name="connectionString"/>; <paramref name="role"/> names it in the error ("source", "standby", ...).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string role, CancellationToken ct)
    {
        if (Problem(connectionString) is { } problem)
            throw new RecoveryException($"the {(role.Length > 0 ? role + " " : "")}connection string is not usable: {problem}");
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            await connection.DisposeAsync();
            throw new RecoveryException($"cannot connect to the {(role.Length > 0 ? role + " " : "")}database {Describe(connectionString)}: {Message(e)}", e);
        }
    }

    /// <summary>The first column of the first row of <paramref name="sql"/> ($1, $2 ... from <paramref name="parameters"/>), null for NULL or no row.</summary>
    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString, "", ct);
        return await ScalarAsync<T>(connection, sql, ct, parameters);
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteScalarAsync(ct) is T value ? value : default;
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements) and returns the rows it affected.</summary>
    public static async Task<int> ExecuteAsync(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString, "", ct);
        return await ExecuteAsync(connection, sql, ct, parameters);
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return command;
    }

    /// <summary>Whether <paramref name="e"/> says the server could not be reached or answered with an error (not a bug of ours).</summary>
    public static bool IsUnreachable(Exception e) => e is NpgsqlException or SocketException or TimeoutException;

    /// <summary>host:port/database, without credentials, for messages.</summary>
    public static string Describe(string connectionString)
    {
        if (Problem(connectionString) is not null) return "(an unusable connection string)";
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    /// <summary>
    /// What makes <paramref name="connectionString"/> unusable before any connection is tried (a key
    /// Npgsql does not know, a port that is not a number, no host), or null. Never the string itself:
    /// it may carry a password.
    /// </summary>
    public static string? Problem(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // "Couldn't set port (Parameter 'port')": the parameter part says nothing to an operator.
            var message = e.Message;
            var parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            return (parameter > 0 ? message[..parameter] : message).Split('\n')[0].Trim().TrimEnd('.');
        }
        if (string.IsNullOrWhiteSpace(builder.Host)) return "no Host";
        if (builder.Port is < 1 or > 65535) return $"Port {builder.Port} is not a port (1 to 65535)";
        return null;
    }

    /// <summary>The first line of what the server or the network said.</summary>
    public static string Message(Exception e)
    {
        var text = e switch
        {
            RecoveryException { InnerException: { } inner } => Message(inner),
            PostgresException p => p.MessageText,
            _ => (e.InnerException ?? e).Message,
        };
        return text.Split('\n')[0].Trim();
    }
}
