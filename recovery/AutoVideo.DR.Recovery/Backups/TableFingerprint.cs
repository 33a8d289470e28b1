using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The content fingerprint of a table, computed by the same SQL on the source snapshot and on the
/// restored table: the row count and the sum of a 64-bit hash of each row's text form. The sum does
/// not depend on row order (a restored table's physical order differs) and keeps duplicates apart;
/// the row text includes generated columns, so their recomputation is checked too.
/// hashtextextended is PostgreSQL's stable hash (the one hash partitioning relies on).
/// </summary>
public static class TableFingerprint
{
    /// <summary>
    /// Settings that fix every type's text form (time zone, date and interval styles, float digits,
    /// bytea output) so the same value gives the same text on any server and session.
    /// </summary>
    public const string SessionSettings =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'";

    public static async Task ApplySessionSettingsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var set = new NpgsqlCommand(SessionSettings, connection);
        await set.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Row count and fingerprint of one table (only its own rows, not inheritance children).</summary>
    public static async Task<(long Rows, string Fingerprint)> OfTableAsync(NpgsqlConnection connection, string qualifiedName, CancellationToken ct)
    {
        await using var query = new NpgsqlCommand(
            $"SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM ONLY {qualifiedName} t", connection) { CommandTimeout = 0 };
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), "h64sum:" + reader.GetString(1));
    }

    /// <summary>Count and fingerprint of the large objects: each object's OID and the MD5 of its content.</summary>
    public static async Task<(long Count, string Fingerprint)> OfLargeObjectsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var query = new NpgsqlCommand(
            "SELECT count(*), coalesce(sum(hashtextextended(oid::text || ':' || md5(lo_get(oid)), 0)), 0)::text FROM pg_largeobject_metadata", connection) { CommandTimeout = 0 };
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), "h64sum:" + reader.GetString(1));
    }
}
