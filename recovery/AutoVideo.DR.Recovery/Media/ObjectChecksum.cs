using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace AutoVideo.DR.Recovery.Media;

/// <summary>
/// The SHA-256 of an object version's bytes, lowercase hex: what an inventory records and a restore
/// checks. Version ids are immutable, so a version's checksum never changes; S3 keeps a SHA-256 of
/// the whole object when it was uploaded with one (asked for with HEAD, no data read), else the
/// version is read once and hashed.
/// </summary>
public static class ObjectChecksum
{
    public static async Task<string> OfAsync(AmazonS3Client client, string bucket, string key, string versionId, CancellationToken ct)
    {
        var head = await MediaBuckets.CallAsync(bucket, () => client.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = bucket, Key = key, VersionId = versionId, ChecksumMode = ChecksumMode.ENABLED,
        }, ct));
        // A multipart upload's checksum is a checksum of part checksums ("…-N"): not the object's SHA-256.
        if (FromBase64(head.ChecksumSHA256) is { } stored) return stored;
        using var response = await MediaBuckets.CallAsync(bucket, () => client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId }, ct));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await response.ResponseStream.ReadAsync(buffer, ct)) > 0) sha.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>S3's base64 SHA-256 as hex; null when absent or composite.</summary>
    public static string? FromBase64(string? checksum)
    {
        if (string.IsNullOrEmpty(checksum) || checksum.Contains('-')) return null;
        try { return Convert.ToHexStringLower(Convert.FromBase64String(checksum)); }
        catch (FormatException) { return null; }
    }
}
