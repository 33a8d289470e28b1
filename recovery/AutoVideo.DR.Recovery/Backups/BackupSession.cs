using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>The sessions backups and restores read and write through: fixed text settings and pg_dump's safety settings.</summary>
public static class BackupSession
{
    /// <summary>
    /// As pg_dump sets them: row security off, so a policy can never silently leave rows out of a
    /// backup or its check (it fails instead), and no timeout a role's defaults may carry.
    /// </summary>
    const string SafetySettings = "SET row_security = off; SET default_transaction_read_only = off; SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0";

    /// <summary>Every session's settings, sent in one statement (one round trip) on either client.</summary>
    const string Settings = $"{TableFingerprint.SessionSettings}; {SafetySettings}";

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string role, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        var connection = await DatabaseConnection.OpenAsync(builder.ConnectionString, role, ct);
        try
        {
            await DatabaseConnection.ExecuteAsync(connection, Settings, ct);
            return connection;
        }
        catch (Exception e) when (DatabaseConnection.IsUnreachable(e))
        {
            await connection.DisposeAsync();
            throw new RecoveryException($"cannot set up a session on the {role} database {DatabaseConnection.Describe(connectionString)}: {DatabaseConnection.Message(e)}", e);
        }
    }

    /// <summary>The same session on libpq, for reading tables out with COPY (see <see cref="LibPqSession"/>).</summary>
    public static async Task<LibPqSession> OpenCopyAsync(string connectionString, string role, CancellationToken ct)
    {
        var session = await LibPqSession.OpenAsync(connectionString, role, ct);
        try
        {
            await session.ExecuteAsync(Settings, ct);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}
