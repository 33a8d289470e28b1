using System.Text;
using System.Text.Json;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>pgBackRest's backup types: full, differential (changes since the last full), incremental (since the last backup).</summary>
public enum PhysicalBackupType
{
    Full,
    Diff,
    Incr,
}

/// <summary>
/// One physical backup as <c>pgbackrest info --output=json</c> reports it: the moments and WAL
/// positions it covers (it is consistent, i.e. restorable, from its stop), its sizes, and which
/// repository holds it.
/// </summary>
public sealed record PhysicalBackup(
    string Label,
    PhysicalBackupType Type,
    int Repository,
    DateTimeOffset Started,
    DateTimeOffset Stopped,
    string StartLsn,
    string StopLsn,
    string ArchiveStart,
    string ArchiveStop,
    long DatabaseSize,
    long RepositorySize,
    string? Prior,
    bool Error);

/// <summary>The WAL one repository holds for one database history (e.g. "15-1"): first and last segment.</summary>
public sealed record ArchiveRange(int Repository, string ArchiveId, string? Min, string? Max);

/// <summary>A repository's state: 0 is ok; anything else comes with pgBackRest's message.</summary>
public sealed record RepositoryStatus(int Repository, int Code, string Message)
{
    public bool Ok => Code == 0;
}

/// <summary>The parsed answer of <c>pgbackrest info --output=json</c> for one stanza.</summary>
public sealed record PgBackRestInfo(string Stanza, IReadOnlyList<PhysicalBackup> Backups, IReadOnlyList<ArchiveRange> Archive, IReadOnlyList<RepositoryStatus> Repositories)
{
    public IEnumerable<PhysicalBackup> BackupsIn(int repository) => Backups.Where(b => b.Repository == repository && !b.Error).OrderBy(b => b.Stopped);

    public RepositoryStatus StatusOf(int repository) =>
        Repositories.FirstOrDefault(r => r.Repository == repository) ?? new RepositoryStatus(repository, -1, "not reported by pgbackrest info");

    public static PgBackRestInfo Parse(string stanza, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(Sanitize(json));
            var entry = document.RootElement.EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == stanza);
            if (entry.ValueKind != JsonValueKind.Object) return new PgBackRestInfo(stanza, [], [], []);
            var backups = entry.GetProperty("backup").EnumerateArray().Select(b => new PhysicalBackup(
                Label: b.GetProperty("label").GetString()!,
                Type: Enum.Parse<PhysicalBackupType>(b.GetProperty("type").GetString()!, ignoreCase: true),
                Repository: b.GetProperty("database").GetProperty("repo-key").GetInt32(),
                Started: DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("start").GetInt64()),
                Stopped: DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("stop").GetInt64()),
                StartLsn: b.GetProperty("lsn").GetProperty("start").GetString()!,
                StopLsn: b.GetProperty("lsn").GetProperty("stop").GetString()!,
                ArchiveStart: b.GetProperty("archive").GetProperty("start").GetString()!,
                ArchiveStop: b.GetProperty("archive").GetProperty("stop").GetString()!,
                DatabaseSize: b.GetProperty("info").GetProperty("size").GetInt64(),
                RepositorySize: b.GetProperty("info").GetProperty("repository").GetProperty("size").GetInt64(),
                Prior: b.GetProperty("prior").ValueKind == JsonValueKind.String ? b.GetProperty("prior").GetString() : null,
                Error: b.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.True)).ToList();
            var archive = entry.GetProperty("archive").EnumerateArray().Select(a => new ArchiveRange(
                a.GetProperty("database").GetProperty("repo-key").GetInt32(),
                a.GetProperty("id").GetString()!,
                a.TryGetProperty("min", out var min) && min.ValueKind == JsonValueKind.String ? min.GetString() : null,
                a.TryGetProperty("max", out var max) && max.ValueKind == JsonValueKind.String ? max.GetString() : null)).ToList();
            var repositories = entry.TryGetProperty("repo", out var repos)
                ? repos.EnumerateArray().Select(r => new RepositoryStatus(
                    r.GetProperty("key").GetInt32(),
                    r.GetProperty("status").GetProperty("code").GetInt32(),
                    r.GetProperty("status").GetProperty("message").GetString() ?? "")).ToList()
                : [];
            return new PgBackRestInfo(stanza, backups, archive, repositories);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new RecoveryException($"pgbackrest info returned output this tool cannot read ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>
    /// pgBackRest copies undecryptable bytes into its error messages verbatim, control characters
    /// included, which JSON forbids inside strings: they become '?'.
    /// </summary>
    internal static string Sanitize(string json)
    {
        var text = new StringBuilder(json.Length);
        var inString = false;
        var escaped = false;
        foreach (var c in json)
        {
            if (inString && c < ' ') { text.Append('?'); escaped = false; continue; }
            text.Append(c);
            if (escaped) escaped = false;
            else if (inString && c == '\\') escaped = true;
            else if (c == '"') inString = !inString;
        }
        return text.ToString();
    }
}
