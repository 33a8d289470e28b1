using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Recovery.UnitTests.PointInTime;

public sealed class WalArchiveTests
{
    static readonly DateTimeOffset Pushed = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    static ArchivedSegment Stored(string name) => new(1, "15-1", WalSegment.Parse(name), 1000, Pushed);

    static IReadOnlyList<ArchivedSegment> Stored(params string[] names) => names.Select(Stored).ToList();

    [Theory]
    [InlineData("000000010000000000000003", 1u, 3ul)]
    [InlineData("0000000200000001000000FF", 2u, 0x1FFul)]
    [InlineData("000000030000000A00000000", 3u, 0xA00ul)]
    public void A_segment_name_is_its_timeline_and_number_and_back(string name, uint timeline, ulong number)
    {
        var segment = WalSegment.Parse(name);
        Assert.Equal((timeline, number), (segment.Timeline, segment.Number));
        Assert.Equal(name, segment.Name);
    }

    [Fact]
    public void The_segment_after_FF_continues_in_the_next_log_id()
    {
        Assert.Equal("000000010000000200000000", new WalSegment(1, WalSegment.Parse("0000000100000001000000FF").Number + 1).Name);
    }

    [Theory]
    [InlineData("0/3000060", "000000010000000000000003")]
    [InlineData("1/FF000000", "0000000100000001000000FF")]
    [InlineData("0/0", "000000010000000000000000")]
    public void An_lsn_lies_in_the_segment_its_high_bits_name(string lsn, string segment)
    {
        Assert.Equal(segment, WalSegment.Containing(1, Lsn.Parse(lsn)).Name);
        Assert.Equal(lsn, Lsn.Format(Lsn.Parse(lsn)));
    }

    [Theory]
    [InlineData("0-3000060")]
    [InlineData("0/XYZ")]
    [InlineData("123456789/0")]
    [InlineData("")]
    public void A_malformed_lsn_is_refused_naming_the_form(string text)
    {
        var e = Assert.Throws<RecoveryException>(() => Lsn.Parse(text));
        Assert.Contains("e.g. 0/3000060", e.Message);
    }

    [Theory]
    [InlineData("000000010000000000000003-5f1e8c9a0f4d3a2b1c0d9e8f7a6b5c4d3e2f1a0b.zst", "000000010000000000000003")]
    [InlineData("000000010000000000000003-5f1e8c9a0f4d3a2b1c0d9e8f7a6b5c4d3e2f1a0b", "000000010000000000000003")]
    [InlineData("000000010000000000000002.00000028.backup", null)]
    [InlineData("00000002.history", null)]
    [InlineData("000000010000000000000007.partial-5f1e8c9a0f4d3a2b1c0d9e8f7a6b5c4d3e2f1a0b.zst", null)]
    public void Only_whole_segments_count_as_archived_WAL(string stored, string? segment)
    {
        Assert.Equal(segment, ArchiveContinuity.SegmentOf(stored)?.Name);
    }

    [Fact]
    public void A_contiguous_archive_is_intact()
    {
        var check = ArchiveContinuity.Check(Stored("000000010000000000000002", "000000010000000000000003", "000000010000000000000004"));
        Assert.True(check.Intact);
        Assert.Equal("3 WAL segments 000000010000000000000002 → 000000010000000000000004, contiguous", check.Describe());
    }

    [Fact]
    public void A_missing_segment_is_named()
    {
        var check = ArchiveContinuity.Check(Stored("000000010000000000000002", "000000010000000000000004", "000000010000000000000005"));
        Assert.False(check.Intact);
        Assert.Equal(["000000010000000000000003"], check.Missing.Select(s => s.Name));
        Assert.Contains("1 missing: 000000010000000000000003", check.Describe());
    }

    [Fact]
    public void Segments_before_the_oldest_backup_are_not_needed_and_a_gap_there_does_not_count()
    {
        var check = ArchiveContinuity.Check(Stored("000000010000000000000001", "000000010000000000000004", "000000010000000000000005"), from: WalSegment.Parse("000000010000000000000004"));
        Assert.True(check.Intact);
    }

    [Fact]
    public void A_promotion_continues_the_numbering_on_the_next_timeline()
    {
        var check = ArchiveContinuity.Check(Stored("000000010000000000000002", "000000010000000000000003", "000000020000000000000003", "000000020000000000000004"));
        Assert.True(check.Intact, check.Describe());
    }

    [Fact]
    public void An_empty_archive_is_not_intact()
    {
        Assert.False(ArchiveContinuity.Check([]).Intact);
        Assert.Equal("the WAL archive is empty", ArchiveContinuity.Check([]).Describe());
    }

    [Fact]
    public void Recovery_follows_the_newest_timeline_and_ends_at_the_first_gap()
    {
        var segments = Stored("000000010000000000000002", "000000010000000000000003", "000000010000000000000005");
        Assert.Equal("000000010000000000000003", PointInTimeRecovery.RunEnd(segments, WalSegment.Parse("000000010000000000000002"))?.Name);
    }

    [Fact]
    public void Segments_an_abandoned_timeline_kept_after_the_fork_are_not_on_the_recovery_path()
    {
        // Timeline 1 went on to segment 9 after timeline 2 forked from it in segment 5 (a restore to a moment before the damage).
        var segments = Stored("000000010000000000000004", "000000010000000000000005", "000000010000000000000006", "000000010000000000000007",
            "000000010000000000000008", "000000010000000000000009", "000000020000000000000005", "000000020000000000000006");
        Assert.Equal("000000020000000000000006", PointInTimeRecovery.RunEnd(segments, WalSegment.Parse("000000010000000000000004"))?.Name);
    }

    [Fact]
    public void A_backup_whose_first_segment_is_missing_has_no_path()
    {
        Assert.Null(PointInTimeRecovery.RunEnd(Stored("000000010000000000000005", "000000010000000000000006"), WalSegment.Parse("000000010000000000000004")));
    }
}
