using System.Text.Json;

namespace AutoVideo.DR.Recovery.Monitoring;

/// <summary>An alert as Prometheus holds it: pending (its <c>for:</c> not yet elapsed) or firing.</summary>
public sealed record ActiveAlert(string Name, string State, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, DateTimeOffset? ActiveAt, string Value)
{
    public string Severity => Labels.GetValueOrDefault("severity", "");
    public string Summary => Annotations.GetValueOrDefault("summary", "");
}

/// <summary>An alerting rule as Prometheus loaded it, with when it was last evaluated.</summary>
public sealed record LoadedRule(string Name, string Query, double ForSeconds, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, string Health, DateTimeOffset? LastEvaluation);

/// <summary>A scrape target and whether its last scrape worked.</summary>
public sealed record ScrapeTarget(string Job, string Instance, string Health, DateTimeOffset? LastScrape, string LastError);

/// <summary>The few calls of Prometheus' HTTP API (/api/v1) that health, the tests and the drill need.</summary>
public sealed class PrometheusApi(Uri url)
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public Uri Url { get; } = url;

    public async Task<IReadOnlyList<ActiveAlert>> AlertsAsync(CancellationToken ct)
    {
        using var json = await GetAsync("api/v1/alerts", ct);
        return json.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a =>
        {
            var labels = Strings(a.GetProperty("labels"));
            return new ActiveAlert(labels.GetValueOrDefault("alertname", "?"), a.GetProperty("state").GetString()!, labels,
                Strings(a.GetProperty("annotations")), Time(a, "activeAt"), a.TryGetProperty("value", out var v) ? v.GetString() ?? "" : "");
        }).ToList();
    }

    public async Task<IReadOnlyList<LoadedRule>> AlertingRulesAsync(CancellationToken ct)
    {
        using var json = await GetAsync("api/v1/rules?type=alert", ct);
        return json.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => new LoadedRule(r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!,
                r.GetProperty("duration").GetDouble(), Strings(r.GetProperty("labels")), Strings(r.GetProperty("annotations")),
                r.GetProperty("health").GetString()!, Time(r, "lastEvaluation")))
            .ToList();
    }

    public async Task<IReadOnlyList<ScrapeTarget>> TargetsAsync(CancellationToken ct)
    {
        using var json = await GetAsync("api/v1/targets?state=active", ct);
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t =>
        {
            var labels = Strings(t.GetProperty("labels"));
            return new ScrapeTarget(labels.GetValueOrDefault("job", ""), labels.GetValueOrDefault("instance", ""), t.GetProperty("health").GetString()!,
                Time(t, "lastScrape"), t.GetProperty("lastError").GetString() ?? "");
        }).ToList();
    }

    /// <summary>
    /// Takes a TSDB snapshot of all current data, the head block included (POST /api/v1/admin/tsdb/snapshot;
    /// Prometheus answers it only when started with --web.enable-admin-api). Returns its directory name under
    /// &lt;data&gt;/snapshots/.
    /// </summary>
    public async Task<string> SnapshotAsync(CancellationToken ct)
    {
        try
        {
            using var response = await Http.PostAsync(new Uri(Url, "api/v1/admin/tsdb/snapshot"), null, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new RecoveryException($"Prometheus at {Url} refused the TSDB snapshot (HTTP {(int)response.StatusCode}: {Error(body)}); it answers it only when started with --web.enable-admin-api");
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("data").GetProperty("name").GetString() ?? throw new JsonException("no snapshot name");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new RecoveryException($"Prometheus at {Url} did not take a TSDB snapshot: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>The number of series an instant query returns at <paramref name="at"/>.</summary>
    public async Task<int> SeriesAtAsync(string query, DateTimeOffset at, CancellationToken ct)
    {
        var time = (at.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        using var json = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}&time={time}", ct);
        return json.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
    }

    static string Error(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? body : body;
        }
        catch (JsonException) { return body.Trim(); }
    }

    async Task<JsonDocument> GetAsync(string path, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(Url, path), ct);
            response.EnsureSuccessStatusCode();
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new RecoveryException($"Prometheus at {Url} did not answer {path}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    static Dictionary<string, string> Strings(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : [];

    static DateTimeOffset? Time(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var time) && time.Year > 1
            ? time : null;
}
