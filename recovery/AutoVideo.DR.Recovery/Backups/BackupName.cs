using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>Backup names: <c>autovideo_backup_&lt;UTC yyyyMMddTHHmmssZ&gt;</c>, sortable by time as text.</summary>
public static partial class BackupName
{
    public const string Prefix = "autovideo_backup_";
    const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string For(DateTimeOffset time) => Prefix + time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>The time a name encodes; null for anything that is not a backup name.</summary>
    public static DateTimeOffset? TimeOf(string name) =>
        IsValid(name) && DateTime.TryParseExact(name[Prefix.Length..], TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? new DateTimeOffset(time, TimeSpan.Zero)
            : null;

    public static string Validate(string name) =>
        IsValid(name) ? name : throw new RecoveryException($"'{name}' is not a backup name; accepted: {Prefix}<yyyyMMddTHHmmssZ> or 'latest'");

    [GeneratedRegex(@"^autovideo_backup_\d{8}T\d{6}Z$")]
    private static partial Regex Pattern();
}
