using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The one definition of what a table's fingerprint is computed from, used on the source snapshot
/// (from the very COPY output that becomes the table's part) and on the staged table of a restore
/// (the same COPY, read back before anything is swapped in), both on libpq sessions in UTF-8: the
/// text COPY of the table's copied columns, in a session whose settings fix every type's text form,
/// fed to <see cref="RowFingerprint"/>.
/// Generated columns are not copied; the server recomputes them from the columns that are.
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

    /// <summary>
    /// The COPY a table's data and fingerprint come from. Text format, as pg_dump uses: binary COPY
    /// carries type OIDs inside arrays and composites, which differ in another database.
    /// </summary>
    public static string CopyOut(string qualifiedName, IReadOnlyList<string> columns) => $"COPY {qualifiedName}{ColumnList(columns)} TO STDOUT";

    /// <summary>
    /// The COPY of one page range [from, to) of a table (to null: to its end), a TID range scan. Its
    /// text is the same as the whole table's COPY gives for those rows, so a table's fingerprint is
    /// the sum of its ranges'.
    /// </summary>
    public static string CopyOutRange(string qualifiedName, IReadOnlyList<string> columns, long from, long? to) =>
        $"COPY (SELECT {string.Join(", ", columns.Select(SqlIdentifier.Quote))} FROM ONLY {qualifiedName} WHERE ctid >= '({from},0)'::tid{(to is { } end ? $" AND ctid < '({end},0)'::tid" : "")}) TO STDOUT";

    public static string ColumnList(IReadOnlyList<string> columns) =>
        columns.Count == 0 ? "" : $" ({string.Join(", ", columns.Select(SqlIdentifier.Quote))})";

    /// <summary>
    /// Reads a (restored) table, or one page range of it, back and fingerprints it exactly as the
    /// backup did; <paramref name="rows"/> hears of every buffer's rows as they pass.
    /// </summary>
    public static async Task<(long Rows, string Fingerprint)> OfTableAsync(LibPqSession session, string qualifiedName, IReadOnlyList<string> columns, (long From, long? To)? range, Action<long>? rows, CancellationToken ct)
    {
        var fingerprint = new RowFingerprint();
        var sql = range is { } r ? CopyOutRange(qualifiedName, columns, r.From, r.To) : CopyOut(qualifiedName, columns);
        await session.CopyOutAsync(sql, Stream.Null, bytes =>
        {
            var before = fingerprint.Rows;
            fingerprint.Append(bytes.Span);
            rows?.Invoke(fingerprint.Rows - before);
        }, ct);
        return (fingerprint.Rows, fingerprint.Value);
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
