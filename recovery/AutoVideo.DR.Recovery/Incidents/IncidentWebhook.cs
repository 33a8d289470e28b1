using System.Net.Http.Json;
using System.Text.Json;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// Posts the incident and its report as JSON to the communication plan's channel (a chat or
/// status-page webhook). A failed post is reported, never fatal: the report is already on disk.
/// </summary>
public static class IncidentWebhook
{
    public static async Task<string> PostAsync(string url, Incident incident, string report, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            return "webhook not posted: it is not an http(s) URL";
        var h = incident.Header;
        var payload = new
        {
            runId = h.RunId, runbook = h.Runbook, level = h.Level, target = h.Target, declaredBy = h.DeclaredBy,
            declaredAt = incident.DeclaredAt, status = incident.Status,
            rtoSeconds = incident.ActualRto?.TotalSeconds, dataLoss = incident.DataLoss,
            steps = incident.Steps.Select(s => new { s.Number, s.Id, s.Outcome, s.StartedAt, s.EndedAt, s.Output }),
            updates = incident.Updates,
            report,
        };
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        try
        {
            using var response = await client.PostAsJsonAsync(uri, payload, new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } }, ct);
            return response.IsSuccessStatusCode
                ? $"posted to {uri.GetLeftPart(UriPartial.Authority)} ({(int)response.StatusCode})"
                : $"webhook {uri.GetLeftPart(UriPartial.Authority)} answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"webhook {uri.GetLeftPart(UriPartial.Authority)} not reached: {e.Message}";
        }
    }
}
