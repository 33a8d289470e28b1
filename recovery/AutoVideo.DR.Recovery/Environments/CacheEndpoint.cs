namespace AutoVideo.DR.Recovery.Environments;

/// <summary>Where a Redis server listens: host and port, written host:port everywhere (state, stack outputs, options).</summary>
public sealed record CacheEndpoint(string Host, int Port)
{
    public const int DefaultPort = 6379;

    public override string ToString() => $"{Host}:{Port}";

    /// <summary>Parses host:port (or a bare host, port 6379); anything else is a one-line error naming the option.</summary>
    public static CacheEndpoint Parse(string text, string what = "cache endpoint")
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0 && text.Length > 0) return new CacheEndpoint(text, DefaultPort);
        if (colon > 0 && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and < 65536)
            return new CacheEndpoint(text[..colon], port);
        throw new RecoveryException($"{what} '{text}' is not understood; accepted: host:port, e.g. 127.0.0.1:6379");
    }
}
