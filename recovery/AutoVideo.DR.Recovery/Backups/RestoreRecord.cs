using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Which backup a database holds: written by the restore inside its own transaction (so a restore
/// and its record commit together or not at all), read back by a resumed run to decide whether
/// the restore it was doing already happened. Kept as a database-level setting, invisible to the
/// application's schemas and carried by no backup.
/// </summary>
public static class RestoreRecord
{
    public const string Setting = "autovideo_dr.restored_from";

    /// <summary>Records <paramref name="backup"/> in the open transaction; null when recorded, else why not (the restore stands).</summary>
    public static async Task<string?> WriteAsync(NpgsqlConnection connection, string backup, CancellationToken ct)
    {
        BackupName.Validate(backup);
        // A role that does not own the database cannot set it: the restore itself is still good, so
        // the failed statement is undone to a savepoint and the caller reports that nothing was recorded.
        await DatabaseConnection.ExecuteAsync(connection, "SAVEPOINT restore_record", ct);
        try
        {
            await DatabaseConnection.ExecuteAsync(connection, $"ALTER DATABASE {SqlIdentifier.Quote(connection.Database)} SET {Setting} = '{backup}'", ct);
            await DatabaseConnection.ExecuteAsync(connection, "RELEASE SAVEPOINT restore_record", ct);
            return null;
        }
        catch (PostgresException e)
        {
            await DatabaseConnection.ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT restore_record", ct);
            return $"the restore could not be recorded in {connection.Database} ({e.MessageText})";
        }
    }

    /// <summary>The backup the database was last restored from, or null when it holds none.</summary>
    public static async Task<string?> ReadAsync(string connectionString, CancellationToken ct) =>
        await DatabaseConnection.ScalarAsync<string>(connectionString, $"SELECT NULLIF(current_setting('{Setting}', true), '')", ct);
}
