using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>One HTTP request as it reached the endpoint: method, target, headers (names lower-case) and body.</summary>
public sealed record RecordedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    /// <summary>
    /// The payload the body carries: the body itself, or, for a streaming-signed upload
    /// (Content-Encoding: aws-chunked), the data of its chunks without their framing
    /// ("&lt;hex size&gt;;chunk-signature=…\r\n&lt;data&gt;\r\n" … "0;…\r\n\r\n").
    /// </summary>
    public byte[] Payload()
    {
        if (Header("content-encoding")?.Contains("aws-chunked") != true) return Body;
        using var payload = new MemoryStream();
        for (var at = 0; ;)
        {
            var lineEnd = Array.IndexOf(Body, (byte)'\n', at);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(Body, at, lineEnd - at).Split(';')[0].Trim(), 16);
            if (size == 0) return payload.ToArray();
            payload.Write(Body, lineEnd + 1, size);
            at = lineEnd + 1 + size + 2;
        }
    }

    public string PayloadSha256Base64() => Convert.ToBase64String(SHA256.HashData(Payload()));

    public string Path => Uri.UnescapeDataString(Target.Split('?', 2)[0]);

    /// <summary>The query's parameter names (S3's subresources: uploads, uploadId, partNumber, tagging, retention, delete…).</summary>
    public IReadOnlySet<string> Query => Target.Contains('?')
        ? Target.Split('?', 2)[1].Split('&').Select(p => p.Split('=', 2)[0]).ToHashSet()
        : new HashSet<string>();

    public override string ToString() => $"{Method} {Target}";
}

/// <summary>
/// A byte-for-byte relay in front of an HTTP endpoint (moto_server) that records every request,
/// head and body, on the way through. What the stores' tests assert is what reached the
/// endpoint, not what the SDK was asked to send: a stand-in like moto accepts uploads without the
/// checksums real S3 demands on a locked bucket, so only the wire proves they are sent.
/// Request bodies must carry Content-Length (the AWS SDK always sends one); chunked request bodies
/// are refused loudly. Responses are relayed unparsed.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly int upstreamPort;
    readonly CancellationTokenSource stop = new();
    readonly ConcurrentQueue<RecordedRequest> requests = new();
    readonly Task accepting;

    public RecordingProxy(string upstream)
    {
        upstreamPort = new Uri(upstream).Port;
        listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = AcceptAsync();
    }

    public string Endpoint { get; }

    public IReadOnlyList<RecordedRequest> Requests => requests.ToList();

    public void Clear() => requests.Clear();

    async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            _ = RelayAsync(client);
        }
    }

    async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, upstreamPort, stop.Token);
            var fromClient = client.GetStream();
            var toServer = upstream.GetStream();
            var responses = toServer.CopyToAsync(fromClient, stop.Token);
            while (await ReadHeadAsync(fromClient) is { } head)
            {
                var (method, target, headers) = Parse(head);
                if (headers.ContainsKey("transfer-encoding"))
                    throw new InvalidOperationException($"{method} {target}: chunked request bodies are not relayed by this proxy");
                await toServer.WriteAsync(head, stop.Token);
                var length = headers.TryGetValue("content-length", out var value) ? long.Parse(value) : 0;
                var body = new MemoryStream();
                var buffer = new byte[1 << 16];
                for (var left = length; left > 0;)
                {
                    var read = await fromClient.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), stop.Token);
                    if (read == 0) throw new EndOfStreamException($"{method} {target}: the client closed the connection mid-body");
                    body.Write(buffer, 0, read);
                    await toServer.WriteAsync(buffer.AsMemory(0, read), stop.Token);
                    left -= read;
                }
                requests.Enqueue(new RecordedRequest(method, target, headers, body.ToArray()));
            }
            upstream.Client.Shutdown(SocketShutdown.Send);
            await responses;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A connection closed by either side: the client sees it as such.
        }
    }

    /// <summary>Reads up to and including the blank line that ends a request head; null when the connection ends first.</summary>
    async Task<byte[]?> ReadHeadAsync(Stream stream)
    {
        var head = new List<byte>(1024);
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, stop.Token) == 0) return head.Count == 0 ? null : throw new EndOfStreamException("the connection ended inside a request head");
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r') return head.ToArray();
        }
    }

    static (string Method, string Target, Dictionary<string, string> Headers) Parse(byte[] head)
    {
        var lines = Encoding.ASCII.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2))
            .GroupBy(p => p[0].Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(p => p[1].Trim())));
        return (requestLine[0], requestLine[1], headers);
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try { await accepting; } catch (OperationCanceledException) { }
        stop.Dispose();
    }
}
