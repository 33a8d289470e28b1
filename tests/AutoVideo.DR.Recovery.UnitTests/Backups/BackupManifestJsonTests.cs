using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class BackupManifestJsonTests
{
    static readonly DateTimeOffset At = new(2026, 11, 26, 1, 2, 3, 456, TimeSpan.Zero);
    const string Pack = "parts/data/pack-0001.copy.zst";

    /// <summary>Every field a manifest can carry, each set.</summary>
    static BackupManifest Full() => new(
        BackupManifest.CurrentFormat, "autovideo_backup_20261126T010203.456Z_0a1b2c3d", At, At.AddSeconds(5),
        new BackupSource("db.internal", 5432, "autovideo", NodeRole.Standby, "15.8", 150008),
        new SnapshotPoint("0/3000060", At, SnapshotTimeBasis.LastReplayedCommit),
        ["public", "media"],
        [new BackupPart("parts/data/public.t.r0000.zst", "data", 10, "ab"), new BackupPart("parts/cache.rdb.gz", "cache", 20, "cd"), new BackupPart(Pack, "table-data", 30, "ef")],
        [new TableEntry("public", "t", ["id", "body"], null, 3, "xxh3sum:0000000000000001", [new TableRange("parts/data/public.t.r0000.zst", 3, "xxh3sum:0000000000000001")]),
         new TableEntry("media", "v", [], "parts/data/media.v.zst", 0, "xxh3sum:0000000000000000"),
         new TableEntry("public", "a", ["id"], Pack, 2, "xxh3sum:0000000000000002", Slice: new PartSlice(0, 4)),
         new TableEntry("public", "b", ["id"], Pack, 1, "xxh3sum:0000000000000003", Slice: new PartSlice(4, 2))],
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
        Assert.Contains("\"slice\": {", written);
        Assert.Equal(new PartSlice(4, 2), BackupManifestFile.Parse(Full().Name, BackupManifestFile.Serialize(Full())).Tables[3].Slice);
    }

    public static TheoryData<string, PartSlice?, PartSlice?, string> DamagedPacks => new()
    {
        { "a gap", new PartSlice(0, 4), new PartSlice(5, 2), "public.b's slice of part parts/data/pack-0001.copy.zst is at byte 5 for 2 bytes" },
        { "an overlap", new PartSlice(0, 4), new PartSlice(3, 2), "is at byte 3 for 2 bytes; slices must follow each other from byte 0 (4 expected there)" },
        { "not from byte 0", new PartSlice(1, 4), new PartSlice(5, 2), "public.a's slice of part parts/data/pack-0001.copy.zst is at byte 1" },
        { "a negative length", new PartSlice(0, -4), new PartSlice(4, 2), "public.a's slice of part parts/data/pack-0001.copy.zst is at byte 0 for -4 bytes" },
        { "a shared part without a slice", new PartSlice(0, 4), null, "part parts/data/pack-0001.copy.zst is listed 2 times (for tables or their ranges), and public.b has no slice of it" },
    };

    [Theory]
    [MemberData(nameof(DamagedPacks))]
    public void A_manifest_whose_pack_slices_do_not_follow_each_other_is_refused(string damage, PartSlice? a, PartSlice? b, string expected)
    {
        var manifest = Full() with { Tables = [.. Full().Tables.Take(2), Full().Tables[2] with { Slice = a }, Full().Tables[3] with { Slice = b }] };

        var e = Assert.Throws<RecoveryException>(() => BackupManifestFile.Parse(manifest.Name, BackupManifestFile.Serialize(manifest)));

        Assert.Contains(expected, e.Message);
        Assert.Contains("the manifest is damaged", e.Message);
        Assert.False(e.Message.Contains('\n'), damage);
    }

    [Fact]
    public void A_manifest_whose_two_ranges_name_one_part_is_refused()
    {
        var ranged = Full().Tables[0] with { Ranges = [new TableRange("parts/data/public.t.r0000.zst", 2, "xxh3sum:0000000000000001"), new TableRange("parts/data/public.t.r0000.zst", 1, "xxh3sum:0000000000000000")] };
        var manifest = Full() with { Tables = [ranged, .. Full().Tables.Skip(1)] };

        var e = Assert.Throws<RecoveryException>(() => BackupManifestFile.Parse(manifest.Name, BackupManifestFile.Serialize(manifest)));

        Assert.Contains("part parts/data/public.t.r0000.zst is listed 2 times (for tables or their ranges), and public.t has no slice of it", e.Message);
        Assert.False(e.Message.Contains('\n'));
    }

    [Fact]
    public void A_manifest_whose_page_range_is_a_slice_of_a_pack_is_refused()
    {
        // A table of ranges is loaded in one transaction of its own; a range inside a pack would be truncated by the pack's load.
        var ranged = Full().Tables[0] with { Ranges = [new TableRange("parts/data/public.t.r0000.zst", 3, "xxh3sum:0000000000000001", new PartSlice(0, 9))] };
        var manifest = Full() with { Tables = [ranged, .. Full().Tables.Skip(1)] };

        var e = Assert.Throws<RecoveryException>(() => BackupManifestFile.Parse(manifest.Name, BackupManifestFile.Serialize(manifest)));

        Assert.Contains("table public.t is split into page ranges and one of them is a slice of a pack", e.Message);
        Assert.Contains("the manifest is damaged", e.Message);
        Assert.False(e.Message.Contains('\n'));
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
