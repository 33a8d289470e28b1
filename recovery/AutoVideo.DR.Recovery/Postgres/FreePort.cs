using System.Net;
using System.Net.Sockets;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>Loopback ports for local servers: a free one on request, or a check that a chosen one is free.</summary>
public static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether nothing listens on <paramref name="port"/> of 127.0.0.1 now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A free port that is none of <paramref name="taken"/>.</summary>
    public static int PickOtherThan(IReadOnlyCollection<int> taken)
    {
        while (true)
        {
            var candidate = Pick();
            if (!taken.Contains(candidate)) return candidate;
        }
    }

    public static void EnsureFree(int port, string option)
    {
        if (port is < 1024 or > 65535)
            throw new RecoveryException($"{option} {port} is out of range; accepted: a port from 1024 to 65535");
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
        catch (SocketException)
        {
            throw new RecoveryException($"port {port} on 127.0.0.1 is already in use; choose a free port with {option}, or omit it to pick one");
        }
    }
}
