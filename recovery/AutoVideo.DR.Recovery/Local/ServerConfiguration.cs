using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// The settings every local node runs with, in an include file of its own so that a base backup
/// carries them to the standby: replication, WAL archiving (the plan's "交易日誌連續備份"),
/// wal_log_hints for pg_rewind, and loopback only. Each node's file names its own data directory in
/// the archive and restore commands (pgBackRest checks it), so it is written again wherever a data
/// directory comes from a copy of another node.
/// </summary>
public static class ServerConfiguration
{
    public const string IncludeFile = "autovideo-dr.conf";

    /// <param name="archiveDirectory">the environment's pgBackRest directory (<see cref="PgBackRestSetup"/>): archiving goes through it.</param>
    public static async Task WriteAsync(string dataDirectory, string archiveDirectory, ServerAccount account, CancellationToken ct)
    {
        var settings = $"""
            # Written by autovideo-dr: local primary/standby settings.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{Conf(PgBackRestSetup.SocketDirectoryIn(archiveDirectory))}'
            max_connections = 60
            shared_buffers = '64MB'
            wal_level = replica
            max_wal_senders = 10
            max_replication_slots = 10
            wal_keep_size = '256MB'
            wal_log_hints = on
            hot_standby = on
            hot_standby_feedback = on
            archive_mode = on
            archive_command = '{Conf(PgBackRest.ArchivePushCommand(archiveDirectory, dataDirectory))}'
            restore_command = '{Conf(PgBackRest.ArchiveGetCommand(archiveDirectory, dataDirectory))}'
            # A quiet primary still ships its WAL within a minute: the bound on what a restore from the archive alone loses.
            archive_timeout = '60s'
            wal_receiver_status_interval = '1s'
            # The standby retries streaming/archive every 5 s by default, and a promotion can wait that long.
            wal_retrieve_retry_interval = '200ms'
            """;
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, IncludeFile), settings + "\n", ct);
        var main = Path.Combine(dataDirectory, "postgresql.conf");
        var include = $"include_if_exists = '{IncludeFile}'";
        if (!(await File.ReadAllLinesAsync(main, ct)).Contains(include))
            await File.AppendAllTextAsync(main, "\n" + include + "\n", ct);
        await account.GiveToServerAsync(dataDirectory, ct);
    }

    static string Conf(string value) => value.Replace("'", "''");
}
