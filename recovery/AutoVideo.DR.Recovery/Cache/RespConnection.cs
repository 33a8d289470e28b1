using System.Globalization;
using System.Net.Sockets;
using System.Text;

using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Cache;

/// <summary>An error reply of the server (RESP "-ERR ..."), returned in place of a value inside a pipeline.</summary>
public sealed record RespError(string Message);

/// <summary>
/// One plaintext connection to a Redis server speaking RESP2: commands as arrays of bulk strings,
/// replies as string (simple), byte[] (bulk), long (integer), object?[] (array), null or
/// <see cref="RespError"/>. Pipelined calls send a batch and read its replies in order, which is
/// what makes a digest over every key affordable. TLS (ElastiCache) is not spoken here.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    readonly TcpClient client;
    readonly NetworkStream stream;
    readonly byte[] buffer = new byte[1 << 16];
    int start;
    int end;

    public CacheEndpoint Endpoint { get; }

    RespConnection(TcpClient client, CacheEndpoint endpoint)
    {
        this.client = client;
        stream = client.GetStream();
        Endpoint = endpoint;
    }

    public static async Task<RespConnection> OpenAsync(CacheEndpoint endpoint, CancellationToken ct, TimeSpan? timeout = null)
    {
        var client = new TcpClient { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token);
            return new RespConnection(client, endpoint);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            client.Dispose();
            throw new RecoveryException($"Redis at {endpoint} is unreachable: {(e is SocketException s ? s.Message : "no answer within the timeout")}");
        }
    }

    /// <summary>One command; an error reply becomes a RecoveryException naming the command and the server.</summary>
    public async Task<object?> CallAsync(CancellationToken ct, params object[] command)
    {
        var reply = (await PipelineAsync([command], ct))[0];
        if (reply is RespError error)
            throw new RecoveryException($"Redis at {Endpoint} refused {Text(command[0])}: {error.Message}");
        return reply;
    }

    /// <summary>A bulk or simple string reply as text (null for a nil reply).</summary>
    public async Task<string?> CallTextAsync(CancellationToken ct, params object[] command) => AsText(await CallAsync(ct, command));

    /// <summary>Sends every command, then reads as many replies, in order. Error replies come back as <see cref="RespError"/>.</summary>
    public async Task<IReadOnlyList<object?>> PipelineAsync(IReadOnlyList<object[]> commands, CancellationToken ct)
    {
        using var request = new MemoryStream();
        foreach (var command in commands) Encode(request, command);
        try
        {
            await stream.WriteAsync(request.GetBuffer().AsMemory(0, (int)request.Length), ct);
            var replies = new object?[commands.Count];
            for (var i = 0; i < replies.Length; i++) replies[i] = await ReadReplyAsync(ct);
            return replies;
        }
        catch (IOException e)
        {
            throw new RecoveryException($"the connection to Redis at {Endpoint} broke: {e.Message}");
        }
    }

    /// <summary>The fields of an INFO section as a dictionary (name → value).</summary>
    public async Task<IReadOnlyDictionary<string, string>> InfoAsync(string section, CancellationToken ct)
    {
        var text = await CallTextAsync(ct, "INFO", section) ?? "";
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#') && l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..]);
    }

    public static string? AsText(object? reply) => reply switch
    {
        null => null,
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        long n => n.ToString(CultureInfo.InvariantCulture),
        RespError e => throw new RecoveryException($"Redis error: {e.Message}"),
        _ => throw new RecoveryException($"Redis replied with an unexpected {reply.GetType().Name}"),
    };

    static string Text(object part) => part is byte[] b ? Encoding.UTF8.GetString(b) : Convert.ToString(part, CultureInfo.InvariantCulture) ?? "";

    static void Encode(MemoryStream output, object[] command)
    {
        WriteAscii(output, $"*{command.Length}\r\n");
        foreach (var part in command)
        {
            var bytes = part is byte[] b ? b : Encoding.UTF8.GetBytes(Text(part));
            WriteAscii(output, $"${bytes.Length}\r\n");
            output.Write(bytes);
            output.Write("\r\n"u8);
        }
    }

    static void WriteAscii(MemoryStream output, string text) => output.Write(Encoding.ASCII.GetBytes(text));

    async Task<object?> ReadReplyAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        if (line.Length == 0) throw new RecoveryException($"Redis at {Endpoint} sent an empty reply line");
        var rest = line[1..];
        switch (line[0])
        {
            case '+': return rest;
            case '-': return new RespError(rest);
            case ':': return long.Parse(rest, CultureInfo.InvariantCulture);
            case '$':
            {
                var length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0) return null;
                var data = await ReadExactAsync(length + 2, ct);
                return data[..length];
            }
            case '*':
            {
                var count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0) return null;
                var items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = await ReadReplyAsync(ct);
                return items;
            }
            default:
                throw new RecoveryException($"Redis at {Endpoint} sent a reply this client does not understand ('{line[0]}')");
        }
    }

    async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var line = new List<byte>();
        while (true)
        {
            if (start == end) await FillAsync(ct);
            var span = buffer.AsSpan(start, end - start);
            var newline = span.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line.AddRange(span[..newline].ToArray());
                start += newline + 1;
                if (line.Count > 0 && line[^1] == '\r') line.RemoveAt(line.Count - 1);
                return Encoding.UTF8.GetString(line.ToArray());
            }
            line.AddRange(span.ToArray());
            start = end;
        }
    }

    async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var done = 0;
        while (done < count)
        {
            if (start == end) await FillAsync(ct);
            var n = Math.Min(count - done, end - start);
            buffer.AsSpan(start, n).CopyTo(result.AsSpan(done));
            start += n;
            done += n;
        }
        return result;
    }

    async Task FillAsync(CancellationToken ct)
    {
        start = 0;
        end = await stream.ReadAsync(buffer, ct);
        if (end == 0) throw new IOException("the server closed the connection");
    }

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        return ValueTask.CompletedTask;
    }
}
