using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The database's DDL, from pg_dump --schema-only in the backup's exported snapshot, in the two
/// sections a restore needs around the data: pre-data (types, tables, functions, sequences) and
/// post-data (indexes, constraints, triggers), so indexes are built once over loaded tables.
/// Owners and grants are left out: they name roles of the source cluster that a restore target need not have.
/// </summary>
public static class SchemaScript
{
    /// <summary>
    /// Both sections, from one pass over the catalog: pg_dump writes a schema-only archive and
    /// pg_restore writes each section of it as SQL, the same SQL pg_dump --section writes. A pg_dump
    /// per section read the whole catalog twice on the source (1,500 tables: 0.3 s of server CPU each).
    /// pg_dump ignores --no-owner for an archive: pg_restore applies it.
    /// </summary>
    public static async Task<(byte[] PreData, byte[] PostData)> DumpAsync(string connectionString, string snapshot, CancellationToken ct)
    {
        var installation = PostgresInstallation.Locate();
        // Created 0700 (mkdtemp); the archive is deleted as soon as both sections are out.
        var directory = Directory.CreateTempSubdirectory("autovideo-dr-schema-");
        try
        {
            var archive = Path.Combine(directory.FullName, "schema.dump");
            var dump = new ProcessStartInfo(installation.Program("pg_dump"))
            {
                ArgumentList = { "--schema-only", "--format=custom", "--compress=0", $"--snapshot={snapshot}", "--no-owner", "--no-privileges", $"--file={archive}" },
            };
            // The connection goes by environment, as the workers' libpq sessions get it: the password never in argv.
            foreach (var setting in LibPqSession.Settings(connectionString)) dump.Environment[setting.EnvironmentVariable] = setting.Value;
            await ProcessRunner.RunAsync(dump, ct);
            var sections = await Task.WhenAll(new[] { "pre-data", "post-data" }.Select(section => ProcessRunner.RunAsync(new ProcessStartInfo(installation.Program("pg_restore"))
            {
                ArgumentList = { $"--section={section}", "--no-owner", "--no-privileges", "--file=-", archive },
            }, ct)));
            return (System.Text.Encoding.UTF8.GetBytes(sections[0].StandardOutput), System.Text.Encoding.UTF8.GetBytes(sections[1].StandardOutput));
        }
        finally
        {
            // Best-effort: a failure to delete must not hide why the dump failed.
            try { directory.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
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
