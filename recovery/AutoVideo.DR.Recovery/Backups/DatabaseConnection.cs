using System.Net.Sockets;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>Opens the connections backups and restores use: fixed text settings, pg_dump's safety settings, and one-line errors.</summary>
public static class DatabaseConnection
{
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string role, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await TableFingerprint.ApplySessionSettingsAsync(connection, ct);
            // As pg_dump does: row security off, so a policy can never silently leave rows out of a
            // backup or its check (it fails instead), and no timeout a role's defaults may carry.
            await using var safety = new NpgsqlCommand("SET row_security = off; SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0", connection);
            await safety.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new RecoveryException($"cannot connect to the {role} database {Describe(connectionString)}: {Message(e)}");
        }
    }

    /// <summary>host:port/database, without credentials, for messages.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    public static string Message(Exception e) => (e is PostgresException p ? p.MessageText : (e.InnerException ?? e).Message).Split('\n')[0].Trim();
}
