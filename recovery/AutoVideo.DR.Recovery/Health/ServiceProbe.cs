using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>
/// Probes the components beside the database: a service's HTTP health URL (2xx is healthy) and
/// the Redis cache (PING answered with PONG).
/// </summary>
public sealed class ServiceProbe(TimeSpan? timeout = null)
{
    readonly TimeSpan timeout = timeout ?? TimeSpan.FromSeconds(2);
    static readonly HttpClient Http = new();

    public async Task<ComponentHealth> ProbeHttpAsync(string name, string url, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await Http.GetAsync(url, deadline.Token);
            var healthy = response.IsSuccessStatusCode;
            return new ComponentHealth(name, ComponentKind.Service, healthy ? ComponentStatus.Healthy : ComponentStatus.Down,
                $"HTTP {(int)response.StatusCode} from {url}", clock.Elapsed);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new ComponentHealth(name, ComponentKind.Service, ComponentStatus.Down, $"unreachable: {url}: {e.Message.ReplaceLineEndings(" ")}", clock.Elapsed);
        }
    }

    /// <summary>
    /// PINGs a cache. The endpoint is host:port, or <c>rediss://host:port</c> for a cache that only
    /// accepts TLS (ElastiCache with in-transit encryption, as the stacks declare it): the probe then
    /// completes a TLS handshake, validating the server's certificate, before it speaks.
    /// </summary>
    public async Task<ComponentHealth> ProbeCacheAsync(string name, string endpoint, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var tls = endpoint.StartsWith(TlsScheme, StringComparison.OrdinalIgnoreCase);
        var address = tls ? endpoint[TlsScheme.Length..] : endpoint.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? endpoint["redis://".Length..] : endpoint;
        try
        {
            var colon = address.LastIndexOf(':');
            var (host, port) = colon > 0 ? (address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)) : (address, 6379);
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, deadline.Token);
            Stream stream = client.GetStream();
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, deadline.Token);
                }
                catch (AuthenticationException e)
                {
                    return new ComponentHealth(name, ComponentKind.Cache, ComponentStatus.Down, $"TLS handshake with {address} failed: {e.Message} (its certificate must be trusted here)", clock.Elapsed);
                }
                stream = ssl;
            }
            await stream.WriteAsync("PING\r\n"u8.ToArray(), deadline.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, deadline.Token);
            var answer = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            if (read == 0)
                return new ComponentHealth(name, ComponentKind.Cache, ComponentStatus.Down,
                    $"{address} closed the connection without answering PING{(tls ? "" : " (a cache that only accepts TLS does this to plaintext; its endpoint is then rediss://host:port)")}", clock.Elapsed);
            return new ComponentHealth(name, ComponentKind.Cache, answer == "+PONG" ? ComponentStatus.Healthy : ComponentStatus.Degraded,
                $"PING answered '{answer}' at {address}{(tls ? " over TLS" : "")}", clock.Elapsed);
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new ComponentHealth(name, ComponentKind.Cache, ComponentStatus.Down, $"unreachable: {address}{(tls ? " (TLS)" : "")}: {e.Message.ReplaceLineEndings(" ")}", clock.Elapsed);
        }
    }

    /// <summary>The scheme of a cache endpoint that only speaks TLS.</summary>
    public const string TlsScheme = "rediss://";
}
