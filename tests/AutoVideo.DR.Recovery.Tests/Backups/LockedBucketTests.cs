using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// The production backup bucket as the stacks declare it: versioned, Object Lock with a default
/// retention, lifecycle rules by tier tag. The CLI runs against moto through a recording proxy, so
/// what S3 would demand and moto does not (a checksum on every upload) is checked on the wire, and
/// what moto keeps (tags, retention, versions) is read back.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class LockedBucketTests(BackupsFixture fixture, MotoS3Fixture moto) : IAsyncLifetime
{
    readonly string prefix = "locked-" + Guid.NewGuid().ToString("N")[..8];
    readonly TemporaryDirectory scratch = new();
    RecordingProxy proxy = null!;

    public Task InitializeAsync()
    {
        proxy = new RecordingProxy(moto.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        scratch.Dispose();
    }

    string[] Cli => ["--store", $"s3://{MotoS3Fixture.LockedBucket}/{prefix}", "--s3-endpoint", proxy.Endpoint, "--s3-path-style", "--workdir", fixture.WorkDirectory, "--metrics-file", scratch.Combine("m.prom")];

    /// <summary>policy/backup-tiers.json as the repository has it (not the embedded copy): what the stacks' lifecycle rules filter on.</summary>
    static (string TagKey, Dictionary<string, int> LockDays) Policy()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "policy", "backup-tiers.json"))) dir = dir.Parent;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "policy", "backup-tiers.json")));
        return (json.RootElement.GetProperty("tagKey").GetString()!,
            json.RootElement.GetProperty("tiers").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("lockDays").GetInt32()));
    }

    async Task<(string Tier, DateTimeOffset? Until)> MarksAsync(AmazonS3Client client, string key)
    {
        var (tagKey, _) = Policy();
        var tag = Assert.Single((await client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = MotoS3Fixture.LockedBucket, Key = key })).Tagging ?? []);
        Assert.Equal(tagKey, tag.Key);
        var head = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = MotoS3Fixture.LockedBucket, Key = key });
        return (tag.Value, head.ObjectLockRetainUntilDate is { } d ? new DateTimeOffset(DateTime.SpecifyKind(d.ToUniversalTime(), DateTimeKind.Utc)) : null);
    }

    async Task<List<string>> KeysAsync(AmazonS3Client client, string under) =>
        ((await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = MotoS3Fixture.LockedBucket, Prefix = $"{prefix}/{under}" })).S3Objects ?? [])
        .Select(o => o.Key).ToList();

    [Fact]
    public async Task A_backup_through_the_cli_lands_tagged_by_the_policy_and_retained_and_every_upload_carries_its_checksum()
    {
        var before = DateTimeOffset.UtcNow;
        var backup = await CliRunner.RunAsync(["backup", .. Cli], MotoS3Fixture.CliEnvironment());
        var verify = await CliRunner.RunAsync(["backups", "verify", .. Cli], MotoS3Fixture.CliEnvironment());

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        using var client = moto.Client();
        var keys = await KeysAsync(client, "autovideo_backup_");
        Assert.Contains(keys, k => k.EndsWith("/" + BackupManifest.FileName));
        Assert.Contains(keys, k => k.EndsWith("/" + BackupCatalog.ClaimFile));
        // Every request that uploaded object data carried the SHA-256 of that data (S3 refuses an
        // upload into a bucket with Object Lock retention without Content-MD5 or a flexible checksum).
        var uploads = proxy.Requests.Where(r => r.Method == "PUT" && (r.Query.Count == 0 || r.Query.Contains("partNumber"))).ToList();
        Assert.Equal(keys.Count, uploads.Count(r => r.Query.Count == 0));
        Assert.All(uploads, r => Assert.Equal(r.PayloadSha256Base64(), r.Header("x-amz-checksum-sha256")));
        // The tag the lifecycle rules filter on, with a tier name from the policy, and the hourly lock.
        var (tagKey, lockDays) = Policy();
        Assert.All(uploads, r => Assert.Equal($"{tagKey}=hourly", r.Header("x-amz-tagging")));
        foreach (var key in keys)
        {
            var (tier, until) = await MarksAsync(client, key);
            Assert.Contains(tier, lockDays.Keys);
            Assert.Equal("hourly", tier);
            Assert.InRange(until!.Value, before.AddDays(lockDays["hourly"]).AddSeconds(-1), DateTimeOffset.UtcNow.AddDays(lockDays["hourly"]));
        }
    }

    [Fact]
    public async Task Prune_promotes_the_keepers_extends_their_locks_and_deletes_only_what_no_lock_holds()
    {
        var now = DateTimeOffset.UtcNow;
        var today = now.UtcDateTime.Date;
        // Monday two ISO weeks back: its Monday and Tuesday picks are settled, whatever today is.
        var week = new DateTimeOffset(today.AddDays(-(((int)today.DayOfWeek + 6) % 7) - 14), TimeSpan.Zero);
        using var store = moto.Store(prefix, MotoS3Fixture.LockedBucket);
        using var client = moto.Client();
        var newest = await fixture.SyntheticAsync(store, now.AddSeconds(-1), part: true);
        var monday = await fixture.SyntheticAsync(store, week.AddHours(12), part: true);
        var tuesday = await fixture.SyntheticAsync(store, week.AddDays(1).AddHours(12), part: true);
        var stillLocked = await fixture.SyntheticAsync(store, week.AddDays(1).AddHours(11), part: true);
        var expired = await fixture.SyntheticAsync(store, week.AddDays(1).AddHours(10), part: true);
        // Time passes for the expired one: its lock ran out (GOVERNANCE lets the test's bypass age it).
        foreach (var version in (await client.ListVersionsAsync(new ListVersionsRequest { BucketName = MotoS3Fixture.LockedBucket, Prefix = $"{prefix}/{expired}/" })).Versions ?? [])
            await client.PutObjectRetentionAsync(new PutObjectRetentionRequest
            {
                BucketName = MotoS3Fixture.LockedBucket, Key = version.Key, VersionId = version.VersionId, BypassGovernanceRetention = true,
                Retention = new ObjectLockRetention { Mode = ObjectLockRetentionMode.Governance, RetainUntilDate = DateTime.UtcNow.AddMinutes(-1) },
            });
        var newestLock = (await MarksAsync(client, $"{prefix}/{newest}/{BackupManifest.FileName}")).Until;
        proxy.Clear();
        string[] prune = ["backups", "prune", "--keep-hourly", "1", .. Cli];

        var result = await CliRunner.RunAsync(prune, MotoS3Fixture.CliEnvironment());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 deleted, 3 kept, 1 kept by Object Lock", result.Out);
        Assert.Matches($@"{stillLocked}\s.*keep \(locked\).*kept by Object Lock until \d{{4}}-", result.Out);
        var (_, lockDays) = Policy();
        var expected = new Dictionary<string, (string Tier, DateTimeOffset? Until)>
        {
            [newest] = ("hourly", newestLock), // today's pick may still be replaced: not promoted yet
            [monday] = ("daily", week.AddHours(12).AddDays(lockDays["daily"])),
            [tuesday] = ("weekly", week.AddDays(1).AddHours(12).AddDays(lockDays["weekly"])),
        };
        foreach (var (name, (tier, until)) in expected)
            foreach (var key in await KeysAsync(client, name + "/"))
            {
                var marks = await MarksAsync(client, key);
                Assert.Equal(tier, marks.Tier);
                Assert.InRange(marks.Until!.Value, until!.Value.AddSeconds(-1), until.Value.AddSeconds(1));
            }
        Assert.Equal("hourly", (await MarksAsync(client, $"{prefix}/{stillLocked}/{BackupManifest.FileName}")).Tier);
        // The expired one is gone, every version: no noncurrent data, no delete marker left.
        var left = await client.ListVersionsAsync(new ListVersionsRequest { BucketName = MotoS3Fixture.LockedBucket, Prefix = $"{prefix}/{expired}/" });
        Assert.Empty(left.Versions ?? []);
        // Retention only ever extended, each request with the checksum S3 demands of it.
        var retentions = proxy.Requests.Where(r => r.Method == "PUT" && r.Query.Contains("retention")).ToList();
        Assert.NotEmpty(retentions);
        Assert.All(retentions, r =>
        {
            Assert.True(r.Header("content-md5") is not null || r.Headers.Keys.Any(h => h.StartsWith("x-amz-checksum-")), string.Join(", ", r.Headers.Keys));
            var date = DateTimeOffset.Parse(Regex.Match(Encoding.UTF8.GetString(r.Payload()), "<RetainUntilDate>([^<]+)<").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(date > now.AddDays(lockDays["hourly"]), $"{r} sets {date}, not an extension");
        });

        // Done once: a second prune changes no mark.
        proxy.Clear();
        var again = await CliRunner.RunAsync(prune, MotoS3Fixture.CliEnvironment());
        Assert.Contains("0 deleted, 3 kept, 1 kept by Object Lock", again.Out);
        Assert.DoesNotContain(proxy.Requests, r => r.Method == "PUT");
    }
}
