using System.Globalization;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using NpgsqlTypes;

namespace AutoVideo.DR.Recovery.Promotion;

/// <summary>The commits a lost primary wrote past a point, read from its WAL: what recovering to that point loses.</summary>
public sealed record LostWal(ulong From, int Timeline, IReadOnlyList<DateTimeOffset> Commits, string Source)
{
    public DateTimeOffset? First => Commits.Count > 0 ? Commits.Min() : null;
    public DateTimeOffset? Last => Commits.Count > 0 ? Commits.Max() : null;
}

/// <summary>
/// Counts COMMIT records in a primary's WAL after an LSN with <c>pg_waldump</c>, over its own pg_wal
/// and the WAL archive together (old segments may only be in the archive, the newest only in pg_wal).
/// Only the given timeline is read: the promoted node's new timeline is not the old primary's.
/// </summary>
public static partial class WalCommits
{
    public static async Task<LostWal> AfterAsync(PostgresInstallation installation, IReadOnlyList<string> walDirectories, int timeline, ulong from, CancellationToken ct)
    {
        var union = Directory.CreateTempSubdirectory("avdr-wal-");
        try
        {
            // pg_waldump reads one directory: link the segments of every source into one, the
            // primary's own pg_wal last so its newest (possibly partial) segment wins.
            var linked = new List<WalSegment>();
            foreach (var directory in walDirectories.Where(Directory.Exists))
            {
                foreach (var (segment, file) in SegmentsIn(directory, timeline))
                {
                    var link = Path.Combine(union.FullName, segment.Name);
                    if (File.Exists(link)) File.Delete(link);
                    File.CreateSymbolicLink(link, file);
                    linked.Add(segment);
                }
            }
            if (linked.Count == 0)
                throw new RecoveryException($"no WAL of timeline {timeline} in {string.Join(", ", walDirectories)}");
            // The WAL ends before the point (no segment at or after the one holding it): nothing follows it.
            if (linked.All(s => s.Number < from / WalSegment.Size))
                return new LostWal(from, timeline, [], string.Join(" + ", walDirectories));
            var result = await ProcessRunner.RunAsync(new System.Diagnostics.ProcessStartInfo(installation.Program("pg_waldump"))
            {
                ArgumentList = { "--path", union.FullName, "--timeline", timeline.ToString(CultureInfo.InvariantCulture), "--start", new NpgsqlLogSequenceNumber(from).ToString(), "--rmgr", "Transaction" },
            }, ct, allowFailure: true);
            // pg_waldump ends with "error in WAL record at …" where valid WAL ends (the torn tail of a killed
            // server): what it printed before is whole. Any other failure (the segment holding the start is
            // gone, say) means the count would be short: that is not a measurement.
            // "could not find a valid record after" the start: the WAL ends right there (a clean shutdown's
            // checkpoint was its last record), so nothing follows it.
            if (result.ExitCode != 0 && !result.StandardError.Contains("error in WAL record at", StringComparison.Ordinal)
                && !result.StandardError.Contains("could not find a valid record after", StringComparison.Ordinal))
                throw new RecoveryException($"pg_waldump could not read timeline {timeline} from {new NpgsqlLogSequenceNumber(from)}: {result.LastErrorLine}");
            var commits = Commit().Matches(result.StandardOutput)
                .Select(m => DateTimeOffset.ParseExact(m.Groups[1].Value, "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
                .ToList();
            return new LostWal(from, timeline, commits, string.Join(" + ", walDirectories));
        }
        finally
        {
            union.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The end of recovery of a promoted node: the timeline it left and the LSN where it switched,
    /// read from the history file of its current timeline (e.g. <c>00000002.history</c>: "1  0/3000158  …").
    /// </summary>
    public static (int OldTimeline, ulong SwitchPoint)? SwitchPoint(string promotedDataDirectory)
    {
        var wal = Path.Combine(promotedDataDirectory, "pg_wal");
        if (!Directory.Exists(wal)) return null;
        var history = Directory.EnumerateFiles(wal, "*.history").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).LastOrDefault();
        if (history is null) return null;
        var last = File.ReadLines(Path.Combine(wal, history)).Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        if (last is null) return null;
        var parts = last.Split('\t', ' ').Where(p => p.Length > 0).ToArray();
        return parts.Length >= 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var tli) && NpgsqlLogSequenceNumber.TryParse(parts[1], out var lsn)
            ? (tli, (ulong)lsn)
            : null;
    }

    /// <summary>The WAL segment files of <paramref name="timeline"/> in <paramref name="directory"/>, by name.</summary>
    public static IEnumerable<(WalSegment Segment, string File)> SegmentsIn(string directory, int timeline) =>
        Directory.EnumerateFiles(directory)
            .Select(file => WalSegment.TryParse(Path.GetFileName(file), out var segment) ? (segment, file) : (default(WalSegment), file))
            .Where(x => x.Item1.Timeline == (uint)timeline && x.Item1 != default);

    [GeneratedRegex(@"desc: COMMIT(?:_PREPARED)? (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC")]
    private static partial Regex Commit();
}
