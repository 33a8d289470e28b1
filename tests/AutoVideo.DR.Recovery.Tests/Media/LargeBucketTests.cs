using System.Diagnostics;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Tests.Stores;
using Xunit.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Media;

[Collection(S3Collection.Name)]
public sealed class LargeBucketTests(MotoS3Fixture moto, ITestOutputHelper output) : IDisposable
{
    const int Objects = 10_000;
    const int Changed = 100;
    readonly VersionedBuckets s3 = new(moto);

    [Fact]
    public async Task A_bucket_of_10000_objects_is_restored_as_of_a_time_through_the_cli_with_progress_shown()
    {
        var clock = Stopwatch.StartNew();
        var bucket = await s3.NewBucketAsync();
        // Setup in parallel batches: moto answers one request at a time per thread, and this is most of the test's time.
        await Parallel.ForEachAsync(Enumerable.Range(0, Objects), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await s3.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"generated/{i:D5}.mp4", ContentBody = $"video {i}" }, ct));
        var setup = clock.Elapsed;
        var t = await VersionedBuckets.MomentAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, Changed), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            if (i % 2 == 0) await s3.PutAsync(bucket, $"generated/{i:D5}.mp4", "re-rendered later");
            else await s3.DeleteAsync(bucket, $"generated/{i:D5}.mp4");
        });

        clock.Restart();
        var result = await CliRunner.RunAsync(
            ["restore", "objects", "--bucket", bucket, "--as-of", t.ToString("O"), "--s3-endpoint", s3.Endpoint, "--s3-path-style", "--workdir", "/tmp/avdr-no-environment"],
            MotoS3Fixture.CliEnvironment(), TimeSpan.FromMinutes(5));
        output.WriteLine($"setup of {Objects} objects: {setup.TotalSeconds:0.0} s; restore through the CLI: {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{Objects} objects, {Objects - Changed} unchanged, {Changed} put back, 0 deleted", result.Out);
        Assert.Contains($"{bucket}: restore {Changed}/{Changed}", result.Error);
        Assert.Contains($"{bucket}: list 10000", result.Error);
        Assert.Equal("video 0", await s3.ReadAsync(bucket, "generated/00000.mp4"));
        Assert.Equal("video 1", await s3.ReadAsync(bucket, "generated/00001.mp4"));
        Assert.Equal("video 9999", await s3.ReadAsync(bucket, "generated/09999.mp4"));
    }

    public void Dispose() => s3.Dispose();
}
