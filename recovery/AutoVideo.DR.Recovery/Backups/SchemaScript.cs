using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The database's DDL, from pg_dump --schema-only in the backup's exported snapshot, split in the two
/// sections a restore needs around the data: pre-data (types, tables, functions, sequences) and
/// post-data (indexes, constraints, triggers), so indexes are built once over loaded tables.
/// Owners and grants are left out: they name roles of the source cluster that a restore target need not have.
/// </summary>
public static class SchemaScript
{
    public static async Task<byte[]> DumpAsync(string connectionString, string snapshot, string section, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo(PostgresInstallation.Locate().Program("pg_dump"))
        {
            ArgumentList =
            {
                "--schema-only", $"--section={section}", $"--snapshot={snapshot}", "--no-owner", "--no-privileges",
                "-h", builder.Host ?? PostgresServer.Host, "-p", builder.Port.ToString(), "-U", builder.Username ?? PostgresServer.Superuser,
                "-d", builder.Database ?? "postgres",
            },
        };
        if (!string.IsNullOrEmpty(builder.Password)) info.Environment["PGPASSWORD"] = builder.Password;
        var result = await ProcessRunner.RunAsync(info, ct);
        return System.Text.Encoding.UTF8.GetBytes(result.StandardOutput);
    }

    /// <summary>
    /// The script as SQL a driver can run: psql's \restrict/\unrestrict guard lines (pg_dump 15.14+) are
    /// psql meta-commands, not SQL, and are the only meta-commands a schema-only dump contains. A
    /// source whose public schema was recreated dumps "CREATE SCHEMA public;", which every new
    /// database already has; it is made conditional.
    /// </summary>
    public static string AsSql(string script) =>
        string.Join('\n', script.Split('\n')
            .Where(line => !line.StartsWith("\\restrict ", StringComparison.Ordinal) && !line.StartsWith("\\unrestrict ", StringComparison.Ordinal))
            .Select(line => line == "CREATE SCHEMA public;" ? "CREATE SCHEMA IF NOT EXISTS public;" : line));
}
