using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;

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
        var info = new ProcessStartInfo(PostgresInstallation.Locate().Program("pg_dump"))
        {
            ArgumentList = { "--schema-only", $"--section={section}", $"--snapshot={snapshot}", "--no-owner", "--no-privileges" },
        };
        // The connection goes by environment, as the workers' libpq sessions get it: the password never in argv.
        foreach (var setting in LibPqSession.Settings(connectionString)) info.Environment[setting.EnvironmentVariable] = setting.Value;
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
