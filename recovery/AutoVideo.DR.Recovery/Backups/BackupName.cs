using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Backup names: <c>autovideo_backup_&lt;UTC yyyyMMddTHHmmss.fffZ&gt;_&lt;8 hex&gt;</c>, e.g.
/// <c>autovideo_backup_20261125T093452.123Z_9f2c4e1a</c>: the start time to the millisecond and a
/// random part, so two backups started at the same instant still differ, and the name is claimed
/// in the store before anything is written under it (<see cref="BackupCatalog.ClaimAsync"/>).
/// Names of one format sort by time as text. The older <c>autovideo_backup_&lt;yyyyMMddTHHmmssZ&gt;</c>
/// names already in stores are still read (the catalog orders by the time, not the text).
/// </summary>
public static partial class BackupName
{
    public const string Prefix = "autovideo_backup_";
    const string TimeFormat = "yyyyMMdd'T'HHmmss.fff'Z'";
    const string LegacyTimeFormat = "yyyyMMdd'T'HHmmss'Z'";
    public const string Accepted = $"{Prefix}<yyyyMMddTHHmmss.fffZ>_<8 hex digits> (or the older {Prefix}<yyyyMMddTHHmmssZ>)";

    /// <summary>A fresh name for a backup started at <paramref name="time"/>, with a random unique part.</summary>
    public static string For(DateTimeOffset time) =>
        $"{Prefix}{time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Shaped like a backup name (either format), whether or not its digits are a real time.</summary>
    public static bool LooksLike(string name) => Pattern().IsMatch(name);

    /// <summary>Shaped like a backup name and its time is a real one (no month 13).</summary>
    public static bool IsValid(string name) => TimeOf(name) is not null;

    /// <summary>The time a name encodes; null for anything that is not a valid backup name.</summary>
    public static DateTimeOffset? TimeOf(string name)
    {
        var match = Pattern().Match(name);
        if (!match.Success) return null;
        var (text, format) = match.Groups["legacy"].Success
            ? (match.Groups["legacy"].Value, LegacyTimeFormat)
            : (match.Groups["time"].Value, TimeFormat);
        return DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? new DateTimeOffset(time, TimeSpan.Zero)
            : null;
    }

    /// <summary>Why a name that looks like a backup's is not a valid one, or null when it is.</summary>
    public static string? Malformation(string name) =>
        LooksLike(name) && !IsValid(name) ? "its time is not a real UTC time (a month, day, hour, minute or second out of range)" : null;

    public static string Validate(string name)
    {
        if (!LooksLike(name)) throw new RecoveryException($"'{name}' is not a backup name; accepted: {Accepted} or 'latest'");
        return Malformation(name) is { } problem ? throw new RecoveryException($"'{name}' is a malformed backup name: {problem}") : name;
    }

    [GeneratedRegex(@"^autovideo_backup_(?:(?<time>\d{8}T\d{6}\.\d{3}Z)_[0-9a-f]{8}|(?<legacy>\d{8}T\d{6}Z))$")]
    private static partial Regex Pattern();
}
