using System.Diagnostics;
using System.Net.Sockets;
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

    /// <summary>Endpoint as host:port.</summary>
    public async Task<ComponentHealth> ProbeCacheAsync(string name, string endpoint, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            var colon = endpoint.LastIndexOf(':');
            var (host, port) = colon > 0 ? (endpoint[..colon], int.Parse(endpoint[(colon + 1)..])) : (endpoint, 6379);
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, deadline.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), deadline.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, deadline.Token);
            var answer = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            return new ComponentHealth(name, ComponentKind.Cache, answer == "+PONG" ? ComponentStatus.Healthy : ComponentStatus.Degraded,
                $"PING answered '{answer}' at {endpoint}", clock.Elapsed);
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new ComponentHealth(name, ComponentKind.Cache, ComponentStatus.Down, $"unreachable: {endpoint}: {e.Message.ReplaceLineEndings(" ")}", clock.Elapsed);
        }
    }
}
