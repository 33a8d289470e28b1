using System.Globalization;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>
/// Where a point-in-time restore stops: just before the first commit after a moment, at a WAL
/// position, or at the end of the archive. PostgreSQL's recovery_target_time, _lsn and the default.
/// </summary>
public abstract record RecoveryTarget
{
    /// <summary>Every commit up to and including <see cref="Moment"/>; the first one after it is not applied.</summary>
    public sealed record Time(DateTimeOffset Moment) : RecoveryTarget
    {
        public override string Describe() => $"time {Moment.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}Z";
    }

    /// <summary>Replay up to and including the record at <see cref="Position"/>.</summary>
    public sealed record Lsn(ulong Position) : RecoveryTarget
    {
        public override string Describe() => $"LSN {PointInTime.Lsn.Format(Position)}";
    }

    /// <summary>Everything the archive holds.</summary>
    public sealed record Latest : RecoveryTarget
    {
        public override string Describe() => "the end of the archive (latest)";
    }

    public abstract string Describe();

    /// <summary>pgBackRest's restore options for this target (recovery ends with a promotion).</summary>
    public IReadOnlyList<string> RestoreArguments() => this switch
    {
        Time t => ["--type=time", $"--target={t.Moment.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00", "--target-action=promote"],
        Lsn l => ["--type=lsn", $"--target={PointInTime.Lsn.Format(l.Position)}", "--target-action=promote"],
        // The default type replays to the end of the archive and promotes there.
        _ => ["--type=default"],
    };

    /// <summary>
    /// The target from the command line: exactly one of --to-time, --to-lsn, --to latest. A time
    /// needs its zone (Z or an offset): a restore to the wrong hour is the mistake this prevents.
    /// </summary>
    public static RecoveryTarget? FromOptions(string? time, string? lsn, string? to)
    {
        var given = new[] { time, lsn, to }.Count(v => v is not null);
        if (given == 0) return null;
        if (given > 1)
            throw new RecoveryException("--to-time, --to-lsn and --to exclude each other; accepted: one of them");
        if (time is not null) return new Time(ParseTime(time));
        if (lsn is not null) return new Lsn(PointInTime.Lsn.Parse(lsn));
        return to!.Trim().ToLowerInvariant() == "latest"
            ? new Latest()
            : throw new RecoveryException($"--to '{to}' is not understood; accepted: latest (or --to-time T, --to-lsn L)");
    }

    /// <summary>What a runbook's source is called when it is this target ("pitr:latest", "pitr:2026-11-25T09:30:00.000000Z", "pitr:lsn:0/3000060"): --restore-from takes it.</summary>
    public const string SourcePrefix = "pitr:";

    public static readonly string SourceForms = $"{SourcePrefix}latest, {SourcePrefix}<ISO 8601 time with its zone> or {SourcePrefix}lsn:<X/Y>";

    public string SourceName() => this switch
    {
        Time t => SourcePrefix + t.Moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        Lsn l => $"{SourcePrefix}lsn:{PointInTime.Lsn.Format(l.Position)}",
        _ => SourcePrefix + "latest",
    };

    /// <summary>Bare "pitr" is short for pitr:latest (drill --restore pitr).</summary>
    public static bool IsSource(string source) =>
        source.StartsWith(SourcePrefix, StringComparison.OrdinalIgnoreCase) || source.Equals(SourcePrefix[..^1], StringComparison.OrdinalIgnoreCase);

    /// <summary>The target a source name means, or a RecoveryException naming the accepted forms.</summary>
    public static RecoveryTarget FromSource(string source)
    {
        var rest = !IsSource(source) ? "" : source.Length < SourcePrefix.Length ? "latest" : source[SourcePrefix.Length..].Trim();
        if (rest.Equals("latest", StringComparison.OrdinalIgnoreCase)) return new Latest();
        if (rest.StartsWith("lsn:", StringComparison.OrdinalIgnoreCase) && PointInTime.Lsn.TryParse(rest[4..], out var position)) return new Lsn(position);
        try { if (rest.Length > 0 && !rest.StartsWith("lsn:", StringComparison.OrdinalIgnoreCase)) return new Time(ParseTime(rest)); }
        catch (RecoveryException) { }
        throw new RecoveryException($"'{source}' names no point in time; accepted: {SourceForms}");
    }

    public static DateTimeOffset ParseTime(string text)
    {
        var trimmed = text.Trim();
        var hasZone = trimmed.EndsWith('Z') || trimmed.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(trimmed, @"[+-]\d{2}(:?\d{2})?$");
        if (!hasZone || !DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.None, out var moment))
            throw new RecoveryException($"--to-time '{text}' is not understood; accepted: an ISO 8601 time with its zone, e.g. 2026-11-25T09:30:00Z or 2026-11-25 17:30:00+08:00");
        return moment.ToUniversalTime();
    }
}
