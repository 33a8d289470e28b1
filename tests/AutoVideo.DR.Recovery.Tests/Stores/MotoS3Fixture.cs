using System.Diagnostics;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>
/// Real S3 endpoints: moto_server on free loopback ports, started once per collection and killed
/// after it. The main one accepts any credentials. A second one enforces authentication
/// (INITIAL_NO_AUTH_ACTION_COUNT=0) and knows no access key at all, so every key is a wrong one there.
/// (One server cannot do both: moto's signature check fails on '/' in a query string, i.e. every
/// prefixed listing, even for boto3.)
/// </summary>
public sealed class MotoS3Fixture : IAsyncLifetime
{
    public const string Bucket = "autovideo-backups";
    public const string AccessKey = "AKIATESTBACKUPS00001";
    public const string SecretKey = "test-secret-for-moto-only";

    readonly List<Process> servers = [];

    public string Endpoint { get; private set; } = "";
    public string AuthenticatingEndpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var open = await Task.WhenAll(StartAsync(authenticate: false), StartAsync(authenticate: true));
        (Endpoint, AuthenticatingEndpoint) = (open[0], open[1]);
        using var client = new AmazonS3Client(Credentials, new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await client.PutBucketAsync(Bucket);
    }

    public static AWSCredentials Credentials => new BasicAWSCredentials(AccessKey, SecretKey);

    public S3Store Store(string prefix) => new(Bucket, prefix, new S3StoreOptions(Endpoint, PathStyle: true, Region: "us-east-1", Credentials));

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
                return $"http://127.0.0.1:{port}";
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
