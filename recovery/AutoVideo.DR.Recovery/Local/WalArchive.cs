using System.Globalization;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>What the WAL archive holds: the continuous log backup ("交易日誌連續備份") a restore replays.</summary>
public sealed record WalArchiveCheck(int Segments, string? First, string? Last, IReadOnlyList<string> Gaps, IReadOnlyList<string> WrongSize)
{
    public bool Intact => Segments > 0 && Gaps.Count == 0 && WrongSize.Count == 0;

    public string Describe() => Segments == 0
        ? "the WAL archive is empty"
        : $"{Segments} WAL segments {First} → {Last}" +
          (Gaps.Count > 0 ? $", gaps before {string.Join(", ", Gaps)}" : ", contiguous") +
          (WrongSize.Count > 0 ? $", wrong size: {string.Join(", ", WrongSize)}" : "");
}

public static class WalArchive
{
    const long SegmentSize = 16 * 1024 * 1024;

    /// <summary>Checks that the archived segments of each timeline follow each other without a gap and are whole.</summary>
    public static WalArchiveCheck Check(string directory)
    {
        var segments = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>()
                .Where(n => n.Length == 24 && n.All(Uri.IsHexDigit)).Order(StringComparer.Ordinal).ToList()
            : [];
        var gaps = new List<string>();
        foreach (var timeline in segments.GroupBy(s => s[..8]))
        {
            var numbers = timeline.Select(s => (Name: s, Number: ulong.Parse(s[8..16], NumberStyles.HexNumber) * 0x100 + ulong.Parse(s[16..], NumberStyles.HexNumber))).ToList();
            for (var i = 1; i < numbers.Count; i++)
                if (numbers[i].Number != numbers[i - 1].Number + 1) gaps.Add(numbers[i].Name);
        }
        var wrongSize = segments.Where(s => new FileInfo(Path.Combine(directory, s)).Length != SegmentSize).ToList();
        return new WalArchiveCheck(segments.Count, segments.FirstOrDefault(), segments.LastOrDefault(), gaps, wrongSize);
    }
}
