using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>
/// An environment whose repository is in S3 (moto over TLS) with an off-site copy in a directory:
/// WAL and backups reach both, only as ciphertext, and a restore to a moment is served from S3.
/// </summary>
public sealed class S3RepositoryTests(MotoTlsFixture moto) : IClassFixture<MotoTlsFixture>, IAsyncLifetime
{
    readonly TemporaryDirectory directory = new();
    readonly string prefix = "env-" + Guid.NewGuid().ToString("N")[..8];
    readonly List<string> restored = [];

    string WorkDirectory => directory.Combine("env");

    Dictionary<string, string> Environment() => MotoS3Fixture.CliEnvironment();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var data in restored)
            await new PostgresServer(PostgresInstallation.Locate(), ServerAccount.Current(), data, 0, "").StopAsync(default, mode: "immediate");
        if (LocalEnvironmentState.TryLoad(WorkDirectory) is not null) await CliRunner.RunAsync("local", "down", "--workdir", WorkDirectory);
        directory.Dispose();
    }

    [Fact]
    public async Task Wal_and_backups_go_encrypted_to_s3_and_off_site_and_a_moment_is_restored_from_s3()
    {
        Directory.CreateDirectory(directory.Path);
        var offsite = directory.Combine("offsite");
        var up = await CliRunner.RunAsync(["local", "up", "--workdir", WorkDirectory, "--pitr-store", $"s3://{MotoTlsFixture.Bucket}/{prefix}", "--pitr-offsite-store", offsite,
            "--s3-endpoint", moto.Endpoint, "--s3-path-style", "--s3-region", "us-east-1", "--s3-no-verify-tls"], Environment(), timeout: TimeSpan.FromMinutes(4));
        Assert.True(up.ExitCode == 0, up.ToString());
        var state = LocalEnvironmentState.Load(WorkDirectory);
        var primary = state.Describe().Primary!.ConnectionString;
        var pitr = new LocalPointInTime(WorkDirectory, NullLoggerFactory.Instance);
        await PointInTimeFixture.PastFirstBackupAsync(primary, pitr);
        // A marker that would show in the WAL (and in a compressed copy of it) as plain bytes.
        var marker = "pitr-marker-" + Guid.NewGuid().ToString("N");
        await Sql.ExecuteAsync(primary, $"CREATE TABLE notes(body text); INSERT INTO notes VALUES ('{marker}')");
        var moment = await PointInTimeFixture.ClockAsync(primary);
        await Task.Delay(200);
        await Sql.ExecuteAsync(primary, "DELETE FROM notes");
        await Sql.ExecuteAsync(primary, "SELECT pg_switch_wal()");
        await Sql.EventuallyAsync(async () => (await pitr.WindowsAsync(default)).All(w => w.Latest > moment), "both repositories reaching the delete", seconds: 90);

        // Both repositories hold a full backup and the WAL up to the delete.
        var info = await pitr.InfoAsync(default);
        Assert.Equal([1, 2], info.Backups.Where(b => b.Type == PhysicalBackupType.Full).Select(b => b.Repository).Order());
        using var s3 = moto.Client();
        var objects = new List<S3Object>();
        var request = new ListObjectsV2Request { BucketName = MotoTlsFixture.Bucket, Prefix = $"{prefix}/pgbackrest/" };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request);
            objects.AddRange(page.S3Objects ?? []);
            request.ContinuationToken = page.NextContinuationToken;
        } while (page.IsTruncated == true);
        var segments = objects.Where(o => o.Key.Contains("/archive/autovideo/") && ArchiveContinuity.SegmentOf(o.Key[(o.Key.LastIndexOf('/') + 1)..]) is not null).ToList();
        Assert.NotEmpty(segments);
        Assert.Contains(objects, o => o.Key.Contains("/backup/autovideo/") && o.Key.Contains("/bundle/"));
        // What reached the store is ciphertext: openssl's salted header, and never the marker.
        foreach (var o in segments.Concat(objects.Where(o => o.Key.Contains("/bundle/"))))
        {
            using var response = await s3.GetObjectAsync(MotoTlsFixture.Bucket, o.Key);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            Assert.Equal("Salted__"u8.ToArray(), bytes[..8]);
            Assert.DoesNotContain(marker, Encoding.Latin1.GetString(bytes));
        }
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(offsite, "pgbackrest", "archive"), "*.zst", SearchOption.AllDirectories));

        var data = directory.Combine("restored");
        restored.Add(data);
        var restore = await CliRunner.RunAsync(["restore", "--to-time", PointInTimeFixture.Iso(moment),
            "--repo", "1", "--target", data, "--workdir", WorkDirectory, "--json"], Environment());
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var json = JsonDocument.Parse(restore.Out).RootElement;
        Assert.Equal(1, json.GetProperty("repository").GetInt32());
        Assert.Equal(marker, await Sql.ScalarAsync<string>(PostgresServer.ConnectionString(json.GetProperty("port").GetInt32(), state.Database), "SELECT body FROM notes"));
    }
}
