using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace AutoVideo.DR.Recovery.Monitoring;

public enum AlertStatus
{
    Firing,
    Resolved,
}

/// <summary>
/// One alert of one Alertmanager notification as it reached the listener: which receiver routed
/// it (oncall for critical, team for warning), its labels and text, when Prometheus says it began,
/// and when it arrived, on the wall clock and on the monotonic clock (<see cref="Stopwatch.GetTimestamp"/>,
/// the clock drills measure RTO on).
/// </summary>
public sealed record ReceivedAlert(
    string Name,
    AlertStatus Status,
    string Receiver,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset ReceivedAt,
    long ReceivedTimestamp)
{
    public string Severity => Labels.GetValueOrDefault("severity", "");
    public string Instance => Labels.GetValueOrDefault("instance", "");

    /// <summary>Monotonic time from <paramref name="stopwatchTimestamp"/> (a Stopwatch.GetTimestamp() reading) to the arrival.</summary>
    public TimeSpan ArrivedAfter(long stopwatchTimestamp) => Stopwatch.GetElapsedTime(stopwatchTimestamp, ReceivedTimestamp);
}

/// <summary>
/// A local HTTP endpoint that Alertmanager's webhook receiver posts to (the local stand-in for the
/// pager and the team channel): records every alert of every notification with its arrival time.
/// Used by the monitoring tests and by <c>drill --detect alert</c>; start it, pass <see cref="Url"/>
/// to <c>local up --alert-webhook</c> or <see cref="LocalMonitoring.RouteAlertsAsync"/>, wait.
/// </summary>
public sealed class AlertWebhookListener : IAsyncDisposable
{
    readonly HttpListener listener = new();
    readonly List<ReceivedAlert> received = [];
    readonly List<string> problems = [];
    readonly Task loop;
    TaskCompletionSource arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Url { get; }

    AlertWebhookListener(int port)
    {
        Url = $"http://127.0.0.1:{port}/";
        listener.Prefixes.Add(Url);
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    /// <summary>Listens on 127.0.0.1 on <paramref name="port"/>, or on a free port.</summary>
    public static AlertWebhookListener Start(int? port = null)
    {
        if (port is { } p) Postgres.FreePort.EnsureFree(p, "the webhook port");
        return new AlertWebhookListener(port ?? Postgres.FreePort.Pick());
    }

    /// <summary>Every alert received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedAlert> Received
    {
        get { lock (received) return received.ToList(); }
    }

    /// <summary>Requests that were not a readable Alertmanager notification (kept so a test can show them).</summary>
    public IReadOnlyList<string> Problems
    {
        get { lock (received) return problems.ToList(); }
    }

    /// <summary>
    /// The first firing <paramref name="alertName"/> (that also satisfies <paramref name="match"/>)
    /// received so far or from now on; a RecoveryException after <paramref name="timeout"/>.
    /// </summary>
    public async Task<ReceivedAlert> WaitForAsync(string alertName, TimeSpan timeout, CancellationToken ct, Func<ReceivedAlert, bool>? match = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task next;
            lock (received)
            {
                var found = received.FirstOrDefault(a => a.Name == alertName && a.Status == AlertStatus.Firing && (match?.Invoke(a) ?? true));
                if (found is not null) return found;
                next = arrived.Task;
            }
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new RecoveryException($"no firing {alertName} reached {Url} within {timeout.TotalSeconds:0} s (received: {Describe(Received)})");
            try { await next.WaitAsync(left, ct); }
            catch (TimeoutException) { }
        }
    }

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var at = DateTimeOffset.UtcNow;
            var timestamp = Stopwatch.GetTimestamp();
            try
            {
                using var body = new StreamReader(context.Request.InputStream);
                var text = await body.ReadToEndAsync();
                var alerts = Parse(text, at, timestamp);
                lock (received)
                {
                    if (alerts is null) problems.Add(text.Length > 200 ? text[..200] : text);
                    else received.AddRange(alerts);
                    arrived.TrySetResult();
                    arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                context.Response.StatusCode = alerts is null ? 400 : 200;
            }
            catch (IOException) { context.Response.StatusCode = 400; }
            finally
            {
                try { context.Response.Close(); } catch (HttpListenerException) { }
            }
        }
    }

    /// <summary>Alertmanager's webhook payload (version 4): receiver, and alerts with status, labels, annotations, startsAt.</summary>
    static List<ReceivedAlert>? Parse(string text, DateTimeOffset at, long timestamp)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            var receiver = root.GetProperty("receiver").GetString() ?? "";
            return root.GetProperty("alerts").EnumerateArray().Select(a =>
            {
                var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                var annotations = a.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                return new ReceivedAlert(labels.GetValueOrDefault("alertname", "?"),
                    a.GetProperty("status").GetString() == "resolved" ? AlertStatus.Resolved : AlertStatus.Firing,
                    receiver, labels, annotations, a.GetProperty("startsAt").GetDateTimeOffset(), at, timestamp);
            }).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    static string Describe(IReadOnlyList<ReceivedAlert> alerts) =>
        alerts.Count == 0 ? "nothing" : string.Join(", ", alerts.Select(a => $"{a.Name} {a.Status.ToString().ToLowerInvariant()} {a.Instance}".TrimEnd()));

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await loop;
    }
}
