using System.Buffers.Binary;
using Npgsql;
using NpgsqlTypes;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Large objects in a part of their own (pg_dump leaves them out of a schema-only dump): a stream
/// of records, each the object's OID (4 bytes), its length (8 bytes) and its content, big-endian.
/// OIDs are kept so that columns referring to them still point at the right object after a restore.
/// </summary>
public static class LargeObjectArchive
{
    public static async Task<long> WriteAsync(NpgsqlConnection connection, Stream output, CancellationToken ct)
    {
        await using var query = new NpgsqlCommand("SELECT oid, lo_get(oid) FROM pg_largeobject_metadata ORDER BY oid", connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var header = new byte[12];
        long count = 0;
        while (await reader.ReadAsync(ct))
        {
            var content = reader.GetFieldValue<byte[]>(1);
            BinaryPrimitives.WriteUInt32BigEndian(header, reader.GetFieldValue<uint>(0));
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(4), content.LongLength);
            await output.WriteAsync(header, ct);
            await output.WriteAsync(content, ct);
            count++;
        }
        return count;
    }

    /// <summary>Recreates every object of the part; with <paramref name="replace"/>, an existing object with the same OID is unlinked first.</summary>
    public static async Task<long> RestoreAsync(NpgsqlConnection connection, Stream input, bool replace, CancellationToken ct)
    {
        var header = new byte[12];
        long count = 0;
        while (await ReadFullyAsync(input, header, ct) is var n && n > 0)
        {
            if (n < header.Length) throw new RecoveryException("the large-object part ends inside a record header (truncated)");
            var oid = BinaryPrimitives.ReadUInt32BigEndian(header);
            var length = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(4));
            if (length is < 0 or > int.MaxValue) throw new RecoveryException($"the large-object part is damaged: object {oid} claims {length} bytes");
            var content = new byte[length];
            if (await ReadFullyAsync(input, content, ct) < length) throw new RecoveryException($"the large-object part ends inside object {oid} (truncated)");
            if (replace)
            {
                await using var unlink = new NpgsqlCommand("SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = $1", connection);
                unlink.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlDbType.Oid });
                await unlink.ExecuteNonQueryAsync(ct);
            }
            await using var create = new NpgsqlCommand("SELECT lo_from_bytea($1, $2)", connection);
            create.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlDbType.Oid });
            create.Parameters.Add(new NpgsqlParameter { Value = content, NpgsqlDbType = NpgsqlDbType.Bytea });
            await create.ExecuteNonQueryAsync(ct);
            count++;
        }
        return count;
    }

    /// <summary>The comments on large objects (COMMENT ON LARGE OBJECT), in OID order.</summary>
    public static async Task<IReadOnlyList<LargeObjectComment>> CommentsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var comments = new List<LargeObjectComment>();
        await using var query = new NpgsqlCommand("""
            SELECT m.oid, d.description FROM pg_largeobject_metadata m
            JOIN pg_description d ON d.objoid = m.oid AND d.classoid = 'pg_largeobject'::regclass AND d.objsubid = 0
            ORDER BY m.oid
            """, connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) comments.Add(new LargeObjectComment(reader.GetFieldValue<uint>(0), reader.GetString(1)));
        return comments;
    }

    /// <summary>Puts the comments back on their objects (COMMENT takes no parameters: the text goes in as a quoted literal).</summary>
    public static async Task RestoreCommentsAsync(NpgsqlConnection connection, IReadOnlyList<LargeObjectComment> comments, CancellationToken ct)
    {
        foreach (var batch in comments.Chunk(200))
        {
            await using var command = new NpgsqlCommand(string.Concat(batch.Select(c =>
                $"COMMENT ON LARGE OBJECT {c.Oid} IS E'{c.Comment.Replace("\\", "\\\\").Replace("'", "\\'")}';")), connection);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    static async Task<int> ReadFullyAsync(Stream input, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await input.ReadAsync(buffer.AsMemory(total), ct);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
