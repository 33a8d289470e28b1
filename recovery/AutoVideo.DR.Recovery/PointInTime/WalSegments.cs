using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>
/// A WAL segment name (TTTTTTTTXXXXXXXXYYYYYYYY: timeline, then the segment number in two halves)
/// with the default 16 MiB segment size the local servers and RDS use.
/// </summary>
public readonly record struct WalSegment(uint Timeline, ulong Number) : IComparable<WalSegment>
{
    public const long Size = 16 * 1024 * 1024;
    const ulong SegmentsPerId = 0x1_0000_0000UL / Size;

    public string Name => $"{Timeline:X8}{Number / SegmentsPerId:X8}{Number % SegmentsPerId:X8}";

    public override string ToString() => Name;

    public static bool TryParse(string name, out WalSegment segment)
    {
        segment = default;
        if (name.Length != 24 || !name.All(Uri.IsHexDigit)) return false;
        segment = new WalSegment(
            uint.Parse(name[..8], NumberStyles.HexNumber),
            ulong.Parse(name[8..16], NumberStyles.HexNumber) * SegmentsPerId + ulong.Parse(name[16..], NumberStyles.HexNumber));
        return true;
    }

    public static WalSegment Parse(string name) =>
        TryParse(name, out var segment) ? segment : throw new RecoveryException($"'{name}' is not a WAL segment name; accepted: 24 hexadecimal digits");

    /// <summary>The segment holding <paramref name="lsn"/> on <paramref name="timeline"/>.</summary>
    public static WalSegment Containing(uint timeline, ulong lsn) => new(timeline, lsn / Size);

    public int CompareTo(WalSegment other) => Number != other.Number ? Number.CompareTo(other.Number) : Timeline.CompareTo(other.Timeline);
}

/// <summary>A WAL log sequence number as PostgreSQL prints it (X/Y, hexadecimal).</summary>
public static class Lsn
{
    public static bool TryParse(string text, out ulong lsn)
    {
        lsn = 0;
        var parts = text.Trim().Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length is 0 or > 8 || !p.All(Uri.IsHexDigit))) return false;
        lsn = (ulong.Parse(parts[0], NumberStyles.HexNumber) << 32) | ulong.Parse(parts[1], NumberStyles.HexNumber);
        return true;
    }

    public static ulong Parse(string text) =>
        TryParse(text, out var lsn) ? lsn : throw new RecoveryException($"'{text}' is not an LSN; accepted: two hexadecimal numbers as PostgreSQL prints them, e.g. 0/3000060");

    public static string Format(ulong lsn) => $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}";
}

/// <summary>One WAL segment stored in a repository, as <c>pgbackrest repo-ls</c> lists it.</summary>
public sealed record ArchivedSegment(int Repository, string ArchiveId, WalSegment Segment, long StoredSize, DateTimeOffset PushedAt);

/// <summary>
/// Whether the archive holds every WAL segment of a stretch: the question behind "the archive is
/// intact" and behind every restore. A segment number counts as present when some timeline of the
/// stretch has it (a promotion continues the numbering on the next timeline), so a gap is a number
/// no timeline holds.
/// </summary>
public sealed record ArchiveContinuity(IReadOnlyList<ArchivedSegment> Segments, WalSegment? From, WalSegment? To, IReadOnlyList<WalSegment> Missing)
{
    public bool Intact => Segments.Count > 0 && Missing.Count == 0;

    static readonly Regex StoredName = new(@"^(?<segment>[0-9A-F]{24})-[0-9a-f]{40}(\.[a-z0-9]+)?$", RegexOptions.Compiled);

    /// <summary>The segment a stored file name holds (name-sha1.ext), or null for anything else (history, .backup, .partial).</summary>
    public static WalSegment? SegmentOf(string fileName) =>
        StoredName.Match(fileName) is { Success: true } m ? WalSegment.Parse(m.Groups["segment"].Value) : null;

    /// <summary>
    /// Checks <paramref name="segments"/> from <paramref name="from"/> (default: the first stored)
    /// to <paramref name="to"/> (default: the last stored) for numbers no timeline holds.
    /// </summary>
    public static ArchiveContinuity Check(IReadOnlyList<ArchivedSegment> segments, WalSegment? from = null, WalSegment? to = null)
    {
        if (segments.Count == 0) return new ArchiveContinuity(segments, from, to, []);
        var first = from ?? segments.Min(s => s.Segment);
        var last = to ?? segments.Max(s => s.Segment);
        var present = segments.Where(s => s.Segment.Timeline >= first.Timeline && s.Segment.Timeline <= last.Timeline)
            .Select(s => s.Segment.Number).ToHashSet();
        var missing = new List<WalSegment>();
        for (var n = first.Number; n <= last.Number; n++)
        {
            if (present.Contains(n)) continue;
            // Name it on the timeline that should have carried it: the newest one at or below that number.
            var timeline = segments.Where(s => s.Segment.Number <= n && s.Segment.Timeline <= last.Timeline).Select(s => s.Segment.Timeline).DefaultIfEmpty(first.Timeline).Max();
            missing.Add(new WalSegment(timeline, n));
        }
        return new ArchiveContinuity(segments, first, last, missing);
    }

    public string Describe() => Segments.Count == 0
        ? "the WAL archive is empty"
        : $"{Segments.Select(s => s.Segment).Where(s => From is not { } f || s.Number >= f.Number).Distinct().Count()} WAL segments {From} → {To}" +
          (Missing.Count == 0 ? ", contiguous" : $", {Missing.Count} missing: {string.Join(", ", Missing.Take(3))}{(Missing.Count > 3 ? ", …" : "")}");
}
