using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>A table to copy: its name, the columns COPY can carry (not generated ones) and its size on disk in bytes and pages (for ordering, ranges and progress).</summary>
public sealed record SourceTable(string Schema, string Name, IReadOnlyList<string> Columns, long Bytes, long Pages)
{
    public string QualifiedName => $"{SqlIdentifier.Quote(Schema)}.{SqlIdentifier.Quote(Name)}";
    public string DisplayName => $"{Schema}.{Name}";
}

/// <summary>
/// What a database holds, read inside the backup's snapshot: its schemas, tables with data
/// (leaf partitions, not partitioned parents; permanent ones only, as unlogged tables are not
/// readable on a standby and are empty after any crash anyway), sequences, and the populated
/// materialized views. Objects that belong
/// to extensions are left to CREATE EXTENSION.
/// </summary>
public sealed record SourceInventory(IReadOnlyList<string> Schemas, IReadOnlyList<SourceTable> Tables, IReadOnlyList<SequenceEntry> Sequences, IReadOnlyList<ViewEntry> MaterializedViews, IReadOnlyList<SkippedObject> Skipped)
{
    const string UnloggedReason = "unlogged: a standby cannot read it and any crash empties it; its definition is restored, empty";
    const string UserNamespace = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
    const string NotExtensionMember = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

    public static async Task<SourceInventory> ReadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        // One round trip for the catalog (it counts at small sizes), one more for the sequences' positions.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new($"SELECT n.nspname FROM pg_namespace n WHERE {UserNamespace} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e') ORDER BY 1"),
                new($"""
                    SELECT n.nspname, c.relname,
                           array(SELECT a.attname::text FROM pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                                 ORDER BY a.attnum),
                           pg_relation_size(c.oid), pg_relation_size(c.oid) / current_setting('block_size')::bigint
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND {UserNamespace} AND {NotExtensionMember}
                    ORDER BY 4 DESC, 1, 2
                    """),
                new($"SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND c.relpersistence = 'p' AND {UserNamespace} AND {NotExtensionMember} ORDER BY 1, 2"),
                new($"SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND c.relispopulated AND {UserNamespace} AND {NotExtensionMember} ORDER BY c.oid"),
                new($"""
                    SELECT CASE WHEN c.relkind = 'f' THEN 'foreign table' WHEN c.relkind = 'S' THEN 'unlogged sequence' ELSE 'unlogged table' END,
                           n.nspname || '.' || c.relname,
                           (SELECT o.relname FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE ((c.relkind IN ('r', 'S') AND c.relpersistence = 'u') OR c.relkind = 'f') AND {UserNamespace} AND {NotExtensionMember}
                    ORDER BY 2
                    """),
            },
        };
        var schemas = new List<string>();
        var tables = new List<SourceTable>();
        var sequenceNames = new List<(string Schema, string Name)>();
        var views = new List<ViewEntry>();
        // Said out loud, never skipped in silence: what has a definition here but no data in the backup.
        var skipped = new List<SkippedObject>();
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) schemas.Add(reader.GetString(0));
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
                tables.Add(new SourceTable(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetInt64(3), reader.GetInt64(4)));
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) sequenceNames.Add((reader.GetString(0), reader.GetString(1)));
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) views.Add(new ViewEntry(reader.GetString(0), reader.GetString(1)));
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var kind = reader.GetString(0);
                var reason = kind switch
                {
                    "foreign table" => "its rows live in the foreign server; the definition is restored",
                    "unlogged sequence" => $"unlogged{(reader.IsDBNull(2) ? "" : $" (owned by the unlogged table {reader.GetString(2)})")}: a standby cannot read it; restored at its start value",
                    _ => UnloggedReason,
                };
                skipped.Add(new SkippedObject(kind, reader.GetString(1), reason));
            }
        }

        var sequences = new List<SequenceEntry>();
        foreach (var chunk in sequenceNames.Chunk(200))
        {
            await using var query = new NpgsqlCommand(string.Join(" UNION ALL ", chunk.Select((s, i) =>
                $"SELECT {i} AS i, last_value, is_called FROM {SqlIdentifier.Quote(s.Schema)}.{SqlIdentifier.Quote(s.Name)}")) + " ORDER BY 1", connection);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (schema, name) = chunk[reader.GetInt32(0)];
                sequences.Add(new SequenceEntry(schema, name, reader.GetInt64(1), reader.GetBoolean(2)));
            }
        }
        return new SourceInventory(schemas, tables, sequences, views, skipped);
    }
}
