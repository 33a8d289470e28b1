using System.Text;

namespace AutoVideo.DR.Recovery.Monitoring;

/// <summary>
/// A Prometheus Pushgateway: where batch jobs (backup, prune, verify, restore) leave their results
/// for Prometheus to scrape, since the job's own pod is gone before any scrape. A push POSTs one
/// group (job plus grouping labels) and replaces only the metrics of the same names in it, so a
/// failure push keeps the group's earlier catalog gauges, as the textfile does.
/// </summary>
public sealed class Pushgateway(Uri url)
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public Uri Url { get; } = url;

    /// <summary>An absolute http(s) URL, or null with the reason.</summary>
    public static string? Problem(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : $"'{value}' is not an http(s) URL; accepted: the Pushgateway's base URL, e.g. http://pushgateway:9091";

    /// <summary>The group's path: /metrics/job/JOB/label@base64/VALUE..., base64url so that a value may hold slashes.</summary>
    public static string GroupPath(string job, IReadOnlyDictionary<string, string> grouping)
    {
        var path = new StringBuilder("metrics/job@base64/").Append(Base64Url(job));
        foreach (var (label, value) in grouping.OrderBy(g => g.Key, StringComparer.Ordinal))
            path.Append('/').Append(label).Append("@base64/").Append(Base64Url(value));
        return path.ToString();
    }

    /// <summary>POSTs <paramref name="text"/> (Prometheus text format) into the group; a refusal or an unreachable gateway is a RecoveryException.</summary>
    public async Task PushAsync(string job, IReadOnlyDictionary<string, string> grouping, string text, CancellationToken ct)
    {
        var target = new Uri(Url.AbsoluteUri.TrimEnd('/') + "/" + GroupPath(job, grouping));
        try
        {
            using var content = new StringContent(text, Encoding.UTF8);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain") { Parameters = { new("version", "0.0.4") } };
            using var response = await Http.PostAsync(target, content, ct);
            if (!response.IsSuccessStatusCode)
            {
                var body = (await response.Content.ReadAsStringAsync(ct)).ReplaceLineEndings(" ").Trim();
                throw new RecoveryException($"the Pushgateway at {Url} refused the push (HTTP {(int)response.StatusCode}){(body.Length > 0 ? ": " + body : "")}");
            }
        }
        catch (HttpRequestException e)
        {
            throw new RecoveryException($"the Pushgateway at {Url} is unreachable: {e.Message.ReplaceLineEndings(" ")}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RecoveryException($"the Pushgateway at {Url} did not answer within {Http.Timeout.TotalSeconds:0} s");
        }
    }

    static string Base64Url(string value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).Replace('+', '-').Replace('/', '_');
}
