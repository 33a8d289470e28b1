using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Stores;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.Media;

/// <summary>Versioned buckets on the collection's moto_server, one per test, and the few S3 calls the tests make.</summary>
public sealed class VersionedBuckets(MotoS3Fixture moto) : IDisposable
{
    public AmazonS3Client Client { get; } = S3Store.Client(new S3StoreOptions(moto.Endpoint, PathStyle: true, Region: "us-east-1", Credentials: MotoS3Fixture.Credentials));

    public string Endpoint => moto.Endpoint;

    public async Task<string> NewBucketAsync(bool versioned = true)
    {
        var name = "media-" + Guid.NewGuid().ToString("N")[..12];
        await Client.PutBucketAsync(name);
        if (versioned)
            await Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = name, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        return name;
    }

    public async Task<string> PutAsync(string bucket, string key, string content) =>
        (await Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = content })).VersionId;

    public Task DeleteAsync(string bucket, string key) => Client.DeleteObjectAsync(bucket, key);

    /// <summary>The current content of a key, or null when it is deleted or never was.</summary>
    public async Task<string?> ReadAsync(string bucket, string key)
    {
        try
        {
            using var response = await Client.GetObjectAsync(bucket, key);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<int> VersionCountAsync(string bucket, string key) =>
        (await Client.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = key })).Versions?.Count(v => v.Key == key) ?? 0;

    /// <summary>
    /// A moment between the writes before it and those after it, at S3's one-second resolution of
    /// LastModified: returns now, after waiting until the next second has begun.
    /// </summary>
    public static async Task<DateTimeOffset> MomentAsync()
    {
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(1000 - moment.Millisecond + 50);
        return moment;
    }

    public void Dispose() => Client.Dispose();
}
