using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// What a backup holds and how to check it: written last, so its presence is what makes a backup
/// complete. Every part is listed with its size and SHA-256; every table with its row count and
/// content fingerprint (<see cref="TableFingerprint"/>) as of the snapshot.
/// </summary>
public sealed record BackupManifest(
    int FormatVersion,
    string Name,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    BackupSource Source,
    SnapshotPoint Snapshot,
    IReadOnlyList<string> Schemas,
    IReadOnlyList<BackupPart> Parts,
    IReadOnlyList<TableEntry> Tables,
    IReadOnlyList<SequenceEntry> Sequences,
    IReadOnlyList<ViewEntry> MaterializedViews,
    LargeObjectsEntry LargeObjects,
    PartCompression? Compression = null,
    IReadOnlyList<SkippedObject>? Skipped = null,
    // The other parts of a system recovery point (SystemParts.cs); absent from a database-only backup.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CacheEntry? Cache = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<MediaEntry>? Media = null)
{
    /// <summary>
    /// Format 3 added packs (small tables sharing one part, each a slice of it); format 2 added compression,
    /// table ranges, skipped objects and large-object comments; formats 1 (gzip, one part per table) and 2 are
    /// still read. A reader of format 2 would take a pack for one table, so format 3 is refused there by number.
    /// </summary>
    public const int CurrentFormat = 3;
    public static readonly IReadOnlyList<int> ReadableFormats = [1, 2, 3];
    public const string FileName = "manifest.json";

    public long TotalSize => Parts.Sum(p => p.Size);

    /// <summary>How the parts are compressed (gzip for a format-1 manifest, which did not say).</summary>
    [JsonIgnore]
    public PartCompression PartCompression => Compression ?? PartCompression.Legacy;

    /// <summary>What the backup left out and why (empty for a format-1 manifest, which did not say).</summary>
    [JsonIgnore]
    public IReadOnlyList<SkippedObject> SkippedObjects => Skipped ?? [];

    /// <summary>Rows of COPY text in the table parts: the work a restore loads and reads back.</summary>
    [JsonIgnore]
    public long TotalRows => Tables.Sum(t => t.Rows);

    public BackupPart Part(string path) =>
        Parts.FirstOrDefault(p => p.Path == path) ?? throw new RecoveryException($"backup {Name}: the manifest lists no part {path}");

    /// <summary>
    /// The parts of the system this backup holds: always the database, then Redis and the media inventories
    /// when taken, the stacks' state and the Prometheus snapshot when their parts are there.
    /// </summary>
    public IReadOnlyList<SystemPart> SystemParts =>
        [SystemPart.Database, .. Cache is null ? Array.Empty<SystemPart>() : [SystemPart.Cache], .. Media is { Count: > 0 } ? [SystemPart.Media] : Array.Empty<SystemPart>(),
         .. Stacks.Count > 0 ? [SystemPart.Stacks] : Array.Empty<SystemPart>(), .. Parts.Any(p => p.Kind == BackupPart.PrometheusSnapshot) ? [SystemPart.Monitoring] : Array.Empty<SystemPart>()];

    /// <summary>The Pulumi stacks whose state this backup holds (from their parts' paths: parts/stacks/&lt;stack&gt;/…).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Stacks =>
        Parts.Where(p => p.Kind == BackupPart.StackExport).Select(p => p.Path.Split('/')[^2]).Distinct().Order(StringComparer.Ordinal).ToList();

    public BackupPart PartOfKind(string kind) =>
        Parts.SingleOrDefault(p => p.Kind == kind) ?? throw new RecoveryException($"backup {Name}: the manifest has no single {kind} part");
}

/// <summary>Where the backup was taken from: a primary or a standby.</summary>
public sealed record BackupSource(string Host, int Port, string Database, NodeRole Role, string ServerVersion, int ServerVersionNumber);

/// <summary>
/// The consistent point the backup shows: the WAL position (replayed, on a standby) and the time of
/// the data. On a primary that is the clock when the snapshot was taken; on a standby it is the commit
/// time of the last transaction it had replayed (the data is that old, whatever the clock says), or the
/// clock when the standby has replayed no commit since it started (Basis says which).
/// </summary>
public sealed record SnapshotPoint(string Lsn, DateTimeOffset Time, SnapshotTimeBasis Basis = SnapshotTimeBasis.Clock);

/// <summary>Where a snapshot's time comes from.</summary>
public enum SnapshotTimeBasis
{
    /// <summary>The server's clock when the snapshot was taken (a primary, or a standby that replayed nothing yet).</summary>
    Clock,
    /// <summary>The commit time of the last transaction a standby had replayed.</summary>
    LastReplayedCommit,
}

/// <summary>One stored file of a backup, relative to the backup's folder (always under parts/).</summary>
public sealed record BackupPart(string Path, string Kind, long Size, string Sha256)
{
    public const string Folder = "parts/";
    public const string PreData = "schema-pre-data";
    public const string PostData = "schema-post-data";
    public const string TableData = "table-data";
    public const string LargeObjects = "large-objects";
    public const string CacheRdb = "redis-rdb";
    public const string ObjectInventory = "object-inventory";
    /// <summary>A stack's <c>pulumi stack export</c> (parts/stacks/&lt;stack&gt;/deployment.json.gz) and its <c>pulumi config --json</c> (…/config.json.gz).</summary>
    public const string StackExport = "pulumi-stack-export";
    public const string StackConfig = "pulumi-stack-config";
    /// <summary>A Prometheus TSDB snapshot, as a tar archive (parts/monitoring/prometheus-snapshot.tar.gz).</summary>
    public const string PrometheusSnapshot = "prometheus-tsdb-snapshot";
}

/// <summary>
/// One table's data: the columns copied (generated ones are recomputed on restore), rows and
/// fingerprint of the whole table, and where its data is: one part (Part), or a slice of a pack
/// (Part and Slice: small tables share a part, since a part's fixed cost, a file or an upload, would
/// outweigh their data), or, for a table split into page ranges so that several workers copy it at
/// once, one part per range (Ranges, Part null).
/// </summary>
public sealed record TableEntry(string Schema, string Name, IReadOnlyList<string> Columns, string? Part, long Rows, string Fingerprint, IReadOnlyList<TableRange>? Ranges = null, PartSlice? Slice = null)
{
    public string QualifiedName => $"{SqlIdentifier.Quote(Schema)}.{SqlIdentifier.Quote(Name)}";
    public string DisplayName => $"{Schema}.{Name}";

    /// <summary>The table's data parts: its ranges, or its one part as a single range.</summary>
    [JsonIgnore]
    public IReadOnlyList<TableRange> Pieces =>
        Ranges ?? (Part is { } part ? [new TableRange(part, Rows, Fingerprint, Slice)] : throw new RecoveryException($"the manifest gives table {DisplayName} no part"));
}

/// <summary>One page range of a table, or a table's slice of a pack: its part, rows and fingerprint (the table's are the ranges' sums).</summary>
public sealed record TableRange(string Part, long Rows, string Fingerprint, PartSlice? Slice = null);

/// <summary>Where one table's COPY text lies in a pack: its offset and length in bytes, uncompressed. A pack's slices follow each other from its first byte to its last.</summary>
public sealed record PartSlice(long Offset, long Length);

/// <summary>What a backup did not carry and why (an unlogged table's rows, its sequences): printed beside every "verified".</summary>
public sealed record SkippedObject(string Kind, string Name, string Reason);

/// <summary>A sequence's position, restored with setval after the data.</summary>
public sealed record SequenceEntry(string Schema, string Name, long LastValue, bool IsCalled);

/// <summary>
/// A materialized view that was populated on the source. A schema-only dump creates it WITH NO
/// DATA (its contents count as data), so the restore refreshes it.
/// </summary>
public sealed record ViewEntry(string Schema, string Name)
{
    public string QualifiedName => $"{SqlIdentifier.Quote(Schema)}.{SqlIdentifier.Quote(Name)}";
}

/// <summary>The large objects: how many, their fingerprint, the part holding them (null when there are none) and their comments.</summary>
public sealed record LargeObjectsEntry(string? Part, long Count, string Fingerprint, IReadOnlyList<LargeObjectComment>? Comments = null);

/// <summary>A comment on a large object (COMMENT ON LARGE OBJECT), which pg_dump's schema sections do not carry.</summary>
public sealed record LargeObjectComment(uint Oid, string Comment);
