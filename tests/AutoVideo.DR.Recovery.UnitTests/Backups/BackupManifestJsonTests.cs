using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class BackupManifestJsonTests
{
    static readonly DateTimeOffset At = new(2026, 11, 26, 1, 2, 3, 456, TimeSpan.Zero);

    /// <summary>Every field a manifest can carry, each set.</summary>
    static BackupManifest Full() => new(
        BackupManifest.CurrentFormat, "autovideo_backup_20261126T010203.456Z_0a1b2c3d", At, At.AddSeconds(5),
        new BackupSource("db.internal", 5432, "autovideo", NodeRole.Standby, "15.8", 150008),
        new SnapshotPoint("0/3000060", At, SnapshotTimeBasis.LastReplayedCommit),
        ["public", "media"],
        [new BackupPart("parts/data/public.t.r0000.zst", "data", 10, "ab"), new BackupPart("parts/cache.rdb.gz", "cache", 20, "cd")],
        [new TableEntry("public", "t", ["id", "body"], null, 3, "xxh3sum:0000000000000001", [new TableRange("parts/data/public.t.r0000.zst", 3, "xxh3sum:0000000000000001")]),
         new TableEntry("media", "v", [], "parts/data/media.v.zst", 0, "xxh3sum:0000000000000000")],
        [new SequenceEntry("public", "t_id_seq", 3, true)],
        [new ViewEntry("media", "ranked")],
        new LargeObjectsEntry("parts/large-objects.zst", 1, "h64sum:1", [new LargeObjectComment(16401, "a comment")]),
        new PartCompression(CompressionAlgorithm.Zstd, 1),
        [new SkippedObject("unlogged table", "public.scratch", "not WAL-logged")],
        new CacheEntry("parts/cache.rdb.gz", "127.0.0.1:6379", NodeRole.Standby, "7.0.15", At, 5, "sha256:aa", 1, "sha256:bb"),
        [new MediaEntry("uploads-bucket", MediaPurpose.Uploads, "parts/media-uploads.json.gz", At, 2, 2048)]);

    [Fact]
    public void The_compile_time_metadata_writes_a_manifest_exactly_as_reflection_did()
    {
        // Manifests written before RecoveryJson came from reflection-built metadata: the same options must
        // give the same text, or a manifest's seal and what older readers see would change.
        var reflection = new JsonSerializerOptions(BackupManifestFile.Json) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var sealedManifest = new BackupManifestFile.Sealed(Full(), "");

        var written = JsonSerializer.Serialize(sealedManifest, BackupManifestFile.Json);

        Assert.Equal(JsonSerializer.Serialize(sealedManifest, reflection), written);
        Assert.Contains("\"basis\": \"lastReplayedCommit\"", written);
        Assert.Equal(Full().Tables[0].Ranges, BackupManifestFile.Parse(Full().Name, BackupManifestFile.Serialize(Full())).Tables[0].Ranges);
    }

    [Theory]
    [InlineData(typeof(BackupManifestFile.Sealed))]
    [InlineData(typeof(VerificationRecord))]
    [InlineData(typeof(BackupClaim))]
    [InlineData(typeof(ThroughputRecord))]
    [InlineData(typeof(Recovery.Local.LocalEnvironmentState))]
    [InlineData(typeof(Recovery.PointInTime.PgBackRestSetup))]
    [InlineData(typeof(Recovery.Local.LastRestore))]
    [InlineData(typeof(Recovery.Incidents.JournalEntry))]
    [InlineData(typeof(Recovery.Incidents.RunLockHolder))]
    [InlineData(typeof(Recovery.Media.BucketInventory))]
    public void Each_document_gets_the_compile_time_metadata_not_reflection(Type document)
    {
        // The fallback to reflection serializes the same text, so only where the metadata came from
        // shows whether start-up was spared building it (it once silently was not).
        var info = RecoveryJson.Resolver.GetTypeInfo(document, new JsonSerializerOptions(BackupManifestFile.Json));

        Assert.IsType<RecoveryJson>(info?.OriginatingResolver);
    }
}
