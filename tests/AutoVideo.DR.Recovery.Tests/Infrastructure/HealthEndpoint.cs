using System.Net;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>A service health URL on loopback that answers 200 to everything, for as long as it lives.</summary>
public sealed class HealthEndpoint : IDisposable
{
    readonly HttpListener listener = new();
    readonly CancellationTokenSource stop = new();

    public string Url { get; }

    public HealthEndpoint()
    {
        var port = FreePort.Pick();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Url = $"http://127.0.0.1:{port}/health/ready";
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            }
        });
    }

    /// <summary>A URL on a loopback port where nothing listens: a region that does not answer.</summary>
    public static string Dead => $"http://127.0.0.1:{FreePort.Pick()}/health/ready";

    public void Dispose()
    {
        stop.Cancel();
        listener.Close();
    }
}
