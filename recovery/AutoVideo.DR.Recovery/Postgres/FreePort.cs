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
