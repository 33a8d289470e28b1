using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;


namespace AutoVideo.DR.Recovery.Cache;

/// <summary>
/// What a Redis dataset holds, as counts and order-independent digests: keys without an expiry
/// (which a restore must bring back exactly) apart from keys with one (which may expire between a
/// backup and its restore, and are then legitimately gone). A digest is the sum (mod 2^64) of each
/// key's XxHash3 over its database, name, type and value in a canonical form (hash fields and set
/// members sorted), so it does not depend on the server's internal order or encoding.
/// </summary>
public sealed record CacheContent(long Keys, string Digest, long VolatileKeys, string VolatileDigest)
{
    public const string Prefix = "xxh3sum:";

    public long PersistentKeys => Keys - VolatileKeys;

    /// <summary>
    /// Null when <paramref name="restored"/> holds what this recorded (volatile keys may only have
    /// expired); otherwise what differs, in one line.
    /// </summary>
    public string? Mismatch(CacheContent restored)
    {
        if (restored.PersistentKeys != PersistentKeys || restored.Digest != Digest)
            return $"keys without expiry: {restored.PersistentKeys} restored of {PersistentKeys} recorded, digest {(restored.Digest == Digest ? "same" : $"{restored.Digest} instead of {Digest}")}";
        if (restored.VolatileKeys > VolatileKeys)
            return $"{restored.VolatileKeys} keys with an expiry restored, more than the {VolatileKeys} recorded";
        if (restored.VolatileKeys == VolatileKeys && restored.VolatileDigest != VolatileDigest)
            return $"keys with an expiry: digest {restored.VolatileDigest} instead of {VolatileDigest}";
        return null;
    }

    /// <summary>Reads every key of every database of the server behind <paramref name="connection"/>.</summary>
    public static async Task<CacheContent> ReadAsync(RespConnection connection, CancellationToken ct)
    {
        var keyspace = await connection.InfoAsync("keyspace", ct);
        long keys = 0, volatileKeys = 0;
        ulong sum = 0, volatileSum = 0;
        foreach (var db in keyspace.Keys.Where(k => k.StartsWith("db", StringComparison.Ordinal)).Select(k => int.Parse(k[2..])).Order())
        {
            await connection.CallAsync(ct, "SELECT", db);
            var cursor = "0";
            do
            {
                var page = (object?[])(await connection.CallAsync(ct, "SCAN", cursor, "COUNT", 1000))!;
                cursor = RespConnection.AsText(page[0])!;
                var names = ((object?[])page[1]!).Cast<byte[]>().ToList();
                if (names.Count == 0) continue;
                var types = await connection.PipelineAsync(names.Select(n => new object[] { "TYPE", n }).ToList(), ct);
                var reads = new List<object[]>();
                for (var i = 0; i < names.Count; i++)
                {
                    reads.Add(ValueCommand(RespConnection.AsText(types[i])!, names[i]));
                    reads.Add(["PEXPIRETIME", names[i]]);
                }
                var values = await connection.PipelineAsync(reads, ct);
                for (var i = 0; i < names.Count; i++)
                {
                    var type = RespConnection.AsText(types[i])!;
                    if (type == "none") continue; // expired or deleted since SCAN returned it
                    if (values[2 * i] is RespError error)
                        throw new RecoveryException($"Redis at {connection.Endpoint} refused to read key '{Encoding.UTF8.GetString(names[i])}' ({type}): {error.Message}");
                    var hash = KeyHash(db, names[i], type, values[2 * i]);
                    keys++;
                    if (values[2 * i + 1] is long expiry && expiry >= 0)
                    {
                        volatileKeys++;
                        volatileSum += hash;
                    }
                    else sum += hash;
                }
            }
            while (cursor != "0");
        }
        await connection.CallAsync(ct, "SELECT", 0);
        return new CacheContent(keys, $"{Prefix}{sum:x16}", volatileKeys, $"{Prefix}{volatileSum:x16}");
    }

    static object[] ValueCommand(string type, byte[] key) => type switch
    {
        "string" => ["GET", key],
        "hash" => ["HGETALL", key],
        "list" => ["LRANGE", key, 0, -1],
        "set" => ["SMEMBERS", key],
        "zset" => ["ZRANGE", key, 0, -1, "WITHSCORES"],
        "stream" => ["XRANGE", key, "-", "+"],
        // Module types have no generic reader: their serialized form stands for them.
        _ => ["DUMP", key],
    };

    static ulong KeyHash(int db, byte[] key, string type, object? value)
    {
        var hash = new XxHash3();
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, db);
        hash.Append(number);
        Append(hash, key);
        Append(hash, Encoding.ASCII.GetBytes(type));
        IEnumerable<byte[]> canonical = type switch
        {
            // Field/value pairs and members in a fixed order, whatever the server's iteration order.
            "hash" => Items(value).Chunk(2).OrderBy(p => p[0], ByteOrder.Instance).SelectMany(p => p),
            "set" => Items(value).Order(ByteOrder.Instance),
            _ => Flatten(value),
        };
        foreach (var part in canonical) Append(hash, part);
        return hash.GetCurrentHashAsUInt64();
    }

    static void Append(XxHash3 hash, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.Append(length);
        hash.Append(bytes);
    }

    static IEnumerable<byte[]> Items(object? reply) => ((object?[])reply!).Cast<byte[]>();

    /// <summary>A reply as the sequence of its leaves (nested arrays of streams included), each as bytes.</summary>
    static IEnumerable<byte[]> Flatten(object? reply)
    {
        switch (reply)
        {
            case null: yield return []; break;
            case byte[] bytes: yield return bytes; break;
            case object?[] items:
                yield return BitConverter.GetBytes(items.Length);
                foreach (var item in items)
                    foreach (var leaf in Flatten(item)) yield return leaf;
                break;
            default: yield return Encoding.UTF8.GetBytes(RespConnection.AsText(reply)!); break;
        }
    }

    sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());
    }
}
