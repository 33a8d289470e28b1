using System.Diagnostics;
using System.Text.Json;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>
/// The stacks' cache encrypts in transit (infra/cache.ts): it answers only over TLS. A real
/// redis-server started with only a TLS port stands in for it; its certificate is issued by a test
/// CA that the CLI is told to trust (SSL_CERT_FILE), as it trusts Amazon's CA in the cloud.
/// </summary>
public sealed class CacheTlsTests : IDisposable
{
    readonly TemporaryDirectory directory = new();
    readonly PulumiStandIn pulumi = new();
    readonly List<Process> servers = [];

    public void Dispose()
    {
        foreach (var server in servers) { try { server.Kill(); } catch (InvalidOperationException) { } server.Dispose(); }
        pulumi.Dispose();
        directory.Dispose();
    }

    static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {await process.StandardError.ReadToEndAsync()}");
    }

    async Task<string> CertificatesAsync()
    {
        Directory.CreateDirectory(directory.Path);
        string F(string name) => directory.Combine(name);
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", F("ca.key"), "-out", F("ca.pem"), "-days", "2", "-subj", "/CN=autovideo-dr test CA");
        await RunAsync("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", F("cache.key"), "-out", F("cache.csr"), "-subj", "/CN=127.0.0.1");
        await File.WriteAllTextAsync(F("ext"), "subjectAltName=IP:127.0.0.1\n");
        await RunAsync("openssl", "x509", "-req", "-in", F("cache.csr"), "-CA", F("ca.pem"), "-CAkey", F("ca.key"), "-CAcreateserial", "-out", F("cache.pem"), "-days", "2", "-extfile", F("ext"));
        return F("ca.pem");
    }

    int StartRedis(bool tls)
    {
        var port = FreePort.Pick();
        string[] args = tls
            ? ["--port", "0", "--tls-port", port.ToString(), "--tls-cert-file", directory.Combine("cache.pem"), "--tls-key-file", directory.Combine("cache.key"), "--tls-ca-cert-file", directory.Combine("ca.pem"), "--tls-auth-clients", "no", "--save", ""]
            : ["--port", port.ToString(), "--save", ""];
        servers.Add(Process.Start(new ProcessStartInfo("redis-server", args) { RedirectStandardOutput = true })!);
        return port;
    }

    async Task<JsonElement> CacheHealthAsync(string caFile)
    {
        var environment = pulumi.Environment();
        environment["SSL_CERT_FILE"] = caFile;
        JsonElement cache = default;
        await Sql.EventuallyAsync(async () =>
        {
            var result = await CliRunner.RunAsync(["health", "--stacks", "prod", "dr", "--json", "--workdir", pulumi.WorkDirectory], environment);
            cache = JsonDocument.Parse(result.Out).RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "cache");
            return !cache.GetProperty("detail").GetString()!.Contains("Connection refused");
        }, "redis-server listening", seconds: 20);
        return cache;
    }

    [Fact]
    public async Task The_stacks_cache_is_probed_over_tls_and_a_plaintext_answer_is_not_taken_for_it()
    {
        var ca = await CertificatesAsync();
        pulumi.SetCacheEndpoint("prod", $"127.0.0.1:{StartRedis(tls: true)}");

        var healthy = await CacheHealthAsync(ca);

        Assert.Equal("healthy", healthy.GetProperty("status").GetString());
        Assert.Contains("over TLS", healthy.GetProperty("detail").GetString());

        // The same probe against a cache that does not speak TLS must not pass.
        pulumi.SetCacheEndpoint("prod", $"127.0.0.1:{StartRedis(tls: false)}");
        var plain = await CacheHealthAsync(ca);
        Assert.Equal("down", plain.GetProperty("status").GetString());
    }
}
