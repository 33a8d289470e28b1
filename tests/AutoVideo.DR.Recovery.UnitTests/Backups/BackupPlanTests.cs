using AutoVideo.DR.Recovery.Backups;
using static AutoVideo.DR.Recovery.Backups.BackupWriter;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

/// <summary>How a backup's tables become parts: ranges for big tables, packs for small ones.</summary>
public sealed class BackupPlanTests
{
    static SourceTable Table(int i, long bytes) => new("public", $"t{i}", ["id"], bytes, Math.Max(1, bytes / 8192));

    static IEnumerable<SourceTable> TablesOf(CopyJob job) => job switch
    {
        TableJob t => [t.Table],
        PackJob p => p.Tables,
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 3)]
    public void Every_table_is_copied_once_and_the_small_ones_share_balanced_packs(int seed, int parallelism)
    {
        var random = new Random(seed);
        var tables = Enumerable.Range(1, random.Next(20, 1500))
            .Select(i => Table(i, random.Next(10) == 0 ? random.NextInt64(2L << 20, 64L << 20) : random.NextInt64(8192, 512 << 10))).ToList();

        var jobs = Plan(tables, parallelism, 0);

        var ranged = jobs.OfType<TableJob>().Where(j => j.Ranges > 1).Select(j => j.Table).Distinct().ToList();
        Assert.Equal(tables.Count, jobs.Where(j => j is not TableJob { Ranges: > 1 }).SelectMany(TablesOf).Concat(ranged).Count());
        Assert.Equal(tables.ToHashSet(), jobs.SelectMany(TablesOf).ToHashSet());
        var packs = jobs.OfType<PackJob>().ToList();
        var small = tables.Where(t => t.Bytes < 1L << 20).ToList();
        Assert.All(packs, p => Assert.True(p.Tables.Count > 1, $"pack {p.Number} holds {p.Tables.Count} table"));
        Assert.All(packs.SelectMany(p => p.Tables), t => Assert.Contains(t, small));
        Assert.True(packs.Count >= Math.Min(parallelism, small.Count / 2), $"{packs.Count} packs for {small.Count} small tables and {parallelism} workers");
        Assert.True(packs.Max(p => p.Bytes) - packs.Min(p => p.Bytes) <= small.Max(t => t.Bytes), "packs unbalanced by more than their biggest table");
        Assert.All(packs, p => Assert.Equal(p.Tables.Sum(t => t.Bytes), p.Bytes));
        Assert.Equal(jobs.OrderByDescending(j => j.Bytes).ToList(), jobs);
    }

    [Fact]
    public void No_more_small_tables_than_workers_are_not_packed()
    {
        var jobs = Plan([Table(1, 8192), Table(2, 16384), Table(3, 100L << 20)], parallelism: 2, rangeBytes: 0);

        Assert.Empty(jobs.OfType<PackJob>());
        Assert.Equal(["t1", "t2", "t3"], jobs.SelectMany(TablesOf).Select(t => t.Name).Distinct().Order());
    }

    [Fact]
    public void A_pack_keeps_its_tables_in_the_inventorys_order()
    {
        var tables = Enumerable.Range(1, 40).Select(i => Table(i, 8192 * (1 + i % 7))).ToList();

        var packs = Plan(tables, parallelism: 2, rangeBytes: 0).OfType<PackJob>().ToList();

        Assert.Equal(2, packs.Count);
        Assert.All(packs, p => Assert.Equal(p.Tables.OrderBy(t => tables.IndexOf(t)), p.Tables));
    }
}
