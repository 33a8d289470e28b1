using System.Text.Json;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// Reads pulumi's machine output: the engine events that <c>pulumi up --json</c> streams, one JSON
/// object per line (preludeEvent, resourcePreEvent, resOutputsEvent, resOpFailedEvent,
/// diagnosticEvent, summaryEvent, cancelEvent), and the single document <c>pulumi preview --json</c>
/// prints (steps, changeSummary, diagnostics). Events become progress lines and a summary.
/// </summary>
public sealed class EngineEvents(string stack, string operation, Action<string> progress)
{
    readonly Dictionary<string, int> counted = [];
    Dictionary<string, int>? summarized;
    double? duration;
    bool maybeCorrupt;
    readonly List<string> errors = [];
    readonly List<string> failed = [];

    public UpdateSummary Summary => new(stack, operation, summarized ?? counted, duration, errors, failed, maybeCorrupt);

    /// <summary>One line of an event stream; lines that are not JSON events (plain CLI chatter) are ignored.</summary>
    public void OnLine(string line)
    {
        line = line.Trim();
        if (!line.StartsWith('{')) return;
        try
        {
            using var document = JsonDocument.Parse(line);
            OnEvent(document.RootElement);
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Everything pulumi printed: a preview document, or a stream of events.</summary>
    public void OnOutput(string output)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("steps", out _) || root.TryGetProperty("changeSummary", out _)))
            {
                OnPreviewDocument(root);
                return;
            }
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in root.EnumerateArray()) OnEvent(e);
                return;
            }
            OnEvent(root);
        }
        catch (JsonException)
        {
            foreach (var line in output.Split('\n')) OnLine(line);
        }
    }

    void OnPreviewDocument(JsonElement root)
    {
        if (root.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array)
        {
            foreach (var step in steps.EnumerateArray())
            {
                var op = Text(step, "op") ?? "unknown";
                Count(op);
                if (op != "same") progress($"  {op} {ResourceName(Text(step, "urn"))}");
            }
        }
        if (root.TryGetProperty("changeSummary", out var summary) && summary.ValueKind == JsonValueKind.Object)
            summarized = summary.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.TryGetInt32(out var n) ? n : 0);
        if (root.TryGetProperty("diagnostics", out var diagnostics) && diagnostics.ValueKind == JsonValueKind.Array)
            foreach (var d in diagnostics.EnumerateArray()) OnDiagnostic(d);
    }

    void OnEvent(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return;
        if (e.TryGetProperty("preludeEvent", out _))
            progress($"  pulumi {operation} of stack {stack} started");
        else if (e.TryGetProperty("resourcePreEvent", out var pre) && pre.TryGetProperty("metadata", out var preMeta))
        {
            var op = Text(preMeta, "op") ?? "unknown";
            if (op != "same") progress($"  {op} {Text(preMeta, "type")} {ResourceName(Text(preMeta, "urn"))} ...");
        }
        else if (e.TryGetProperty("resOutputsEvent", out var outputs) && outputs.TryGetProperty("metadata", out var outMeta))
        {
            var op = Text(outMeta, "op") ?? "unknown";
            Count(op);
            if (op != "same") progress($"  {op} {ResourceName(Text(outMeta, "urn"))}: done");
        }
        else if (e.TryGetProperty("resOpFailedEvent", out var failure) && failure.TryGetProperty("metadata", out var failMeta))
        {
            var name = ResourceName(Text(failMeta, "urn"));
            failed.Add($"{name} ({Text(failMeta, "type")})");
            progress($"  {Text(failMeta, "op")} {name}: FAILED");
        }
        else if (e.TryGetProperty("diagnosticEvent", out var diagnostic))
            OnDiagnostic(diagnostic);
        else if (e.TryGetProperty("summaryEvent", out var summary))
        {
            if (summary.TryGetProperty("resourceChanges", out var changes) && changes.ValueKind == JsonValueKind.Object)
                summarized = changes.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.TryGetInt32(out var n) ? n : 0);
            if (summary.TryGetProperty("durationSeconds", out var d) && d.TryGetDouble(out var seconds)) duration = seconds;
            if (summary.TryGetProperty("maybeCorrupt", out var corrupt) && corrupt.ValueKind == JsonValueKind.True) maybeCorrupt = true;
        }
    }

    void OnDiagnostic(JsonElement diagnostic)
    {
        var severity = Text(diagnostic, "severity") ?? "info";
        var message = OneLine(Text(diagnostic, "message"));
        if (message.Length == 0) return;
        if (severity == "error")
        {
            errors.Add(message);
            progress($"  error: {message}");
        }
        else if (severity == "warning") progress($"  warning: {message}");
    }

    void Count(string op) => counted[op] = counted.GetValueOrDefault(op) + 1;

    static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The last part of a URN (urn:pulumi:stack::project::type::name) is the resource's name.</summary>
    static string ResourceName(string? urn) => urn is null ? "(unknown)" : urn[(urn.LastIndexOf("::", StringComparison.Ordinal) is var i and >= 0 ? i + 2 : 0)..];

    /// <summary>Diagnostics carry colour codes and several lines; the operator gets one clean line.</summary>
    internal static string OneLine(string? message) =>
        System.Text.RegularExpressions.Regex.Replace(message ?? "", @"<\{%[a-z]*%\}>|\e\[[0-9;]*m", "")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is var lines ? string.Join(" ", lines) : "";
}
