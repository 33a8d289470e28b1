namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>
/// Where the PostgreSQL 15 server programs are. AUTOVIDEO_DR_PG_BIN overrides the Debian path,
/// so a missing or different installation is found before any server is touched.
/// </summary>
public sealed record PostgresInstallation(string BinDirectory)
{
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";
    public const string BinDirectoryVariable = "AUTOVIDEO_DR_PG_BIN";

    static readonly string[] RequiredPrograms = ["initdb", "pg_ctl", "pg_basebackup", "pg_rewind", "postgres"];

    public static PostgresInstallation Locate()
    {
        var configured = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        var bin = string.IsNullOrWhiteSpace(configured) ? DefaultBinDirectory : configured;
        foreach (var program in RequiredPrograms)
        {
            if (!File.Exists(Path.Combine(bin, program)))
                throw new RecoveryException(
                    $"PostgreSQL 15 not found: '{Path.Combine(bin, program)}' is missing; install postgresql-15 or set {BinDirectoryVariable} to its bin directory");
        }
        return new PostgresInstallation(bin);
    }

    /// <summary>The installation, or null where it is missing (enough to stop servers by signal).</summary>
    public static PostgresInstallation? TryLocate()
    {
        try { return Locate(); }
        catch (RecoveryException) { return null; }
    }

    public string Program(string name) => Path.Combine(BinDirectory, name);
}
