using System.Diagnostics;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>
/// Real S3 endpoints: moto_server on free loopback ports, started once per collection and killed
/// after it. The main one accepts any credentials. A second one enforces authentication
/// (INITIAL_NO_AUTH_ACTION_COUNT=0) and knows no access key at all, so every key is a wrong one there.
/// (One server cannot do both: moto's signature check fails on '/' in a query string, i.e. every
/// prefixed listing, even for boto3.)
/// Two buckets on the main one: <see cref="Bucket"/>, plain, and <see cref="LockedBucket"/>, versioned with
/// Object Lock and a default retention (GOVERNANCE, 1 day), as the stacks declare the backup bucket.
/// moto keeps and enforces retention on deletes of a version, but does not demand the checksum real S3
/// demands of an upload into such a bucket, nor refuse a shorter COMPLIANCE date: tests record the wire for those.
/// </summary>
public sealed class MotoS3Fixture : IAsyncLifetime
{
    public const string Bucket = "autovideo-backups";
    public const string LockedBucket = "autovideo-backups-locked";
    public const string AccessKey = "AKIATESTBACKUPS00001";
    public const string SecretKey = "test-secret-for-moto-only";

    readonly List<Process> servers = [];

    public string Endpoint { get; private set; } = "";
    public string AuthenticatingEndpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var open = await Task.WhenAll(StartAsync(authenticate: false), StartAsync(authenticate: true));
        (Endpoint, AuthenticatingEndpoint) = (open[0], open[1]);
        using var client = Client();
        await client.PutBucketAsync(Bucket);
        await client.PutBucketAsync(new PutBucketRequest { BucketName = LockedBucket, ObjectLockEnabledForBucket = true });
        await client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = LockedBucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });
        await client.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
        {
            BucketName = LockedBucket,
            ObjectLockConfiguration = new ObjectLockConfiguration
            {
                ObjectLockEnabled = ObjectLockEnabled.Enabled,
                Rule = new ObjectLockRule { DefaultRetention = new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 } },
            },
        });
    }

    /// <summary>A plain SDK client on the main endpoint, for what tests set up or inspect behind the store's back.</summary>
    public AmazonS3Client Client(string? endpoint = null) =>
        new(Credentials, new AmazonS3Config { ServiceURL = endpoint ?? Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public static AWSCredentials Credentials => new BasicAWSCredentials(AccessKey, SecretKey);

    public S3Store Store(string prefix, string bucket = Bucket, string? endpoint = null) =>
        new(bucket, prefix, new S3StoreOptions(endpoint ?? Endpoint, PathStyle: true, Region: "us-east-1", Credentials));

    /// <summary>The environment a CLI subprocess needs for S3: the standard AWS variables.</summary>
    public static Dictionary<string, string> CliEnvironment(string accessKey = AccessKey, string secretKey = SecretKey) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = accessKey,
        ["AWS_SECRET_ACCESS_KEY"] = secretKey,
        ["AWS_REGION"] = "us-east-1",
    };

    async Task<string> StartAsync(bool authenticate)
    {
        var port = FreePort.Pick();
        // moto_server from PATH (pip or pipx installs it there); the exec fails clearly when it is missing.
        var info = new ProcessStartInfo("moto_server")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { "-H", "127.0.0.1", "-p", port.ToString() },
        };
        if (authenticate) info.Environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "0";
        var server = Process.Start(info)!;
        lock (servers) servers.Add(server);
        await WaitListeningAsync(server, port);
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>Drains a started server's output and waits (at most 30 s, or until it exits) until it accepts connections on <paramref name="port"/>.</summary>
    internal static async Task WaitListeningAsync(Process server, int port)
    {
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public Task DisposeAsync()
    {
        foreach (var server in servers)
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.Dispose();
        }
        return Task.CompletedTask;
    }
}
