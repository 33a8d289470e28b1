using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Tests.Stores;

namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>
/// moto_server with TLS (--ssl, a self-signed certificate it makes itself): pgBackRest speaks only
/// HTTPS to S3. moto runs under the Python of the moto_server found on PATH, through a launcher that
/// makes its TLS connections end with close_notify: Python's ssl sockets close without it, and
/// pgBackRest 2.45 (OpenSSL 3) then fails every response with "unexpected eof while reading"
/// (pgbackrest/pgbackrest#1677 discusses servers that close this way). The server itself is moto's.
/// </summary>
public sealed class MotoTlsFixture : IAsyncLifetime
{
    public const string Bucket = "autovideo-pitr";
    readonly TemporaryDirectory directory = new();
    Process? server;

    public string Endpoint { get; private set; } = "";

    const string Launcher = """
        import socketserver, ssl, sys
        shutdown_request = socketserver.TCPServer.shutdown_request
        def close_notify_first(self, request):
            if isinstance(request, ssl.SSLSocket):
                try:
                    request.settimeout(2)
                    request.unwrap()
                except Exception:
                    pass
            shutdown_request(self, request)
        socketserver.TCPServer.shutdown_request = close_notify_first
        from moto.server import main
        sys.exit(main(sys.argv[1:]))
        """;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory.Path);
        var launcher = directory.Combine("moto_tls.py");
        await File.WriteAllTextAsync(launcher, Launcher);
        var port = FreePort.Pick();
        var info = new ProcessStartInfo(Python(), [launcher, "-H", "127.0.0.1", "-p", port.ToString(), "--ssl"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        server = Process.Start(info)!;
        await MotoS3Fixture.WaitListeningAsync(server, port);
        Endpoint = $"https://127.0.0.1:{port}";
        using var client = Client();
        await client.PutBucketAsync(Bucket);
    }

    /// <summary>The interpreter moto_server runs under (its script's #! line).</summary>
    static string Python()
    {
        var script = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "moto_server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("moto_server is not on PATH (pip install 'moto[server]')");
        var first = File.ReadLines(script).First();
        // pyenv shims are shell scripts: ask pyenv for the real one.
        if (!first.StartsWith("#!") || first.Contains("bash") || first.Contains("/sh"))
        {
            using var which = Process.Start(new ProcessStartInfo("pyenv", ["which", "moto_server"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            script = which.StandardOutput.ReadToEnd().Trim();
            which.WaitForExit();
            first = File.ReadLines(script).First();
        }
        return first[2..].Trim().Split(' ')[0];
    }

    /// <summary>An S3 client for checking what reached the store (the certificate is moto's own, self-signed).</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials(MotoS3Fixture.AccessKey, MotoS3Fixture.SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", HttpClientFactory = new TrustingHttpClientFactory(),
    });

    sealed class TrustingHttpClientFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });
    }

    public Task DisposeAsync()
    {
        if (server is { HasExited: false }) server.Kill(entireProcessTree: true);
        server?.Dispose();
        directory.Dispose();
        return Task.CompletedTask;
    }
}
