#:project ../../recovery/AutoVideo.DR.Recovery/AutoVideo.DR.Recovery.csproj
#:property TreatWarningsAsErrors=false
// Writes COUNT synthetic backups (a manifest each, one hour apart, the newest now) into an S3 bucket,
// for scripts/bench-catalog.sh: what the catalog reads when it lists a store. The part their manifest
// names does not exist, so a restore of one stops at its part check, after the catalog has found it.
// With PARTS > 1 each also holds PARTS - 1 other one-byte objects under parts/ and a throughput record,
// and the backup a day old a measured restore, as a store of hourly backups of many tables does.
//   dotnet run SyntheticBackups.cs -- ENDPOINT BUCKET PREFIX COUNT [PARTS]
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Stores;

var (endpoint, bucket, prefix, count) = (args[0], args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var parts = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1;
var store = new S3Store(bucket, prefix, new S3StoreOptions(Endpoint: endpoint, PathStyle: true));
var now = DateTimeOffset.UtcNow;
var part = new BackupPart("parts/data/0001-public.accounts.copy.zst", BackupPart.TableData, 1 << 20, new string('0', 64));
await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
{
    var time = now.AddHours(-i);
    // Format 2: these backups hold no packs, and every revision since format 2 reads it, so BASE may be older than packs (format 3).
    var manifest = new BackupManifest(2, BackupName.For(time), time, time.AddSeconds(5),
        new BackupSource("db.internal", 5432, "autovideo", NodeRole.Standby, "15.8", 150008), new SnapshotPoint("0/3000060", time),
        ["public"], [part], [new TableEntry("public", "accounts", ["id", "body"], part.Path, 1000, "xxh3sum:0000000000000001")],
        [], [], new LargeObjectsEntry(null, 0, ""), PartCompression.Default);
    if (parts > 1)
    {
        for (var k = 2; k <= parts; k++) await store.WriteAllBytesAsync($"{manifest.Name}/parts/data/{k:0000}-public.t{k}.copy.zst", [0], ct);
        await ThroughputRecord.WriteBackupAsync(store, manifest.Name, new BackupTiming(time.AddSeconds(5), 5, 1 << 20, 1 << 21, []), ct);
        if (i == 24) await ThroughputRecord.WriteRestoreAsync(store, manifest.Name, new RestoreTiming(time.AddMinutes(30), 20, 1 << 20, true, "restore test", []), ct);
    }
    await store.WriteAllBytesAsync($"{manifest.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(manifest), ct);
});
Console.WriteLine($"{count} synthetic backups in s3://{bucket}/{prefix}");
