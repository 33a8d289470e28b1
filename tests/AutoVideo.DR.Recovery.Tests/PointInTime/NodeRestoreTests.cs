using System.Globalization;
using System.Text.Json;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Promotion;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.PointInTime;

/// <summary>
/// Restores that replace a node of the environment: the case where the replica replicated the
/// damage. Each test has an environment of its own, since roles change.
/// </summary>
public sealed class NodeRestoreTests
{
    static string Unpooled(string connection) => new Npgsql.NpgsqlConnectionStringBuilder(connection) { Pooling = false }.ConnectionString;


    [Fact]
    public async Task The_standby_restored_to_a_moment_before_the_damage_becomes_the_primary_the_damaged_one_is_fenced_and_archiving_goes_on()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var primary = environment.State.Describe().Primary!.ConnectionString;
        var pitr = new LocalPointInTime(environment.WorkDirectory, NullLoggerFactory.Instance);
        await PointInTimeFixture.PastFirstBackupAsync(primary, pitr);
        await Sql.ExecuteAsync(primary, "CREATE TABLE orders(id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 40)");
        var beforeDamage = await PointInTimeFixture.ClockAsync(primary);
        await Task.Delay(200);
        await Sql.ExecuteAsync(primary, "DROP TABLE orders");
        await PointInTimeFixture.ArchiveEverythingAsync(primary, pitr);
        // The replica replicated the damage: that is why it cannot simply be promoted.
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.State.Describe().Standby!.ConnectionString, "SELECT count(*) FROM pg_class WHERE relname = 'orders'") == 0, "the standby replaying the drop");

        // A damaged copy first: the restore stops, and the environment is exactly as it was.
        var bundles = Directory.EnumerateFiles(Path.Combine(environment.State.BackupDirectory, "pgbackrest", "backup"), "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/bundle/") && !f.Contains("/latest/")).ToList();
        var originals = bundles.ToDictionary(f => f, File.ReadAllBytes);
        foreach (var (file, bytes) in originals)
        {
            var damaged = bytes.ToArray();
            for (var i = 512; i < damaged.Length; i += 4096) damaged[i] ^= 0x5A;
            await File.WriteAllBytesAsync(file, damaged);
        }
        var failed = await CliRunner.RunAsync(["restore", "--to-time", PointInTimeFixture.Iso(beforeDamage), "--workdir", environment.WorkDirectory], new Dictionary<string, string> { ["PGBACKREST_JOB_RETRY"] = "0" });
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.True(failed.Error.Contains("holds a damaged file"), failed.ToString());
        Assert.Equal([NodeRole.Primary, NodeRole.Standby], environment.Current.Nodes.Select(n => n.Role));
        Assert.False(Directory.Exists(environment.Node(NodeRole.Standby).DataDirectory + ".pitr"));
        Assert.True(await Sql.ScalarAsync<bool>(environment.State.Describe().Standby!.ConnectionString, "SELECT pg_is_in_recovery()"));
        Assert.False(await Sql.ScalarAsync<bool>(primary, "SELECT pg_is_in_recovery()"));
        foreach (var (file, bytes) in originals) await File.WriteAllBytesAsync(file, bytes);

        var result = await CliRunner.RunAsync("restore", "--to-time", PointInTimeFixture.Iso(beforeDamage), "--workdir", environment.WorkDirectory, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal("pg-a", json.GetProperty("fenced").GetString());
        var state = environment.Current;
        Assert.Equal(NodeRole.Fenced, state.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.Equal(NodeRole.Primary, state.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.True(Fence.IsFenced(state.Nodes.Single(n => n.Name == "pg-a").DataDirectory));
        // Clients land on the restored node and find the data of the moment before the damage.
        // Unpooled: the in-place restore below restarts this server, and a pooled session would not survive it.
        var client = Unpooled(state.Describe().ClientConnectionString());
        Assert.Equal(40, await Sql.ScalarAsync<long>(client, "SELECT count(*) FROM orders"));
        Assert.Equal(state.Nodes.Single(n => n.Name == "pg-b").Port.ToString(CultureInfo.InvariantCulture), await Sql.ScalarAsync<string>(client, "SHOW port"));
        // Its new timeline is archived: a later restore can reach what is written now.
        await Sql.ExecuteAsync(client, "INSERT INTO orders VALUES (41)");
        await PointInTimeFixture.ArchiveEverythingAsync(client, pitr);
        var window = Assert.Single(await pitr.WindowsAsync(default));
        Assert.Contains(window.Archive!.Segments, s => s.Segment.Timeline == json.GetProperty("timeline").GetInt32());
        Assert.True(window.Archive.Intact, window.Archive.Describe());
        Assert.NotNull(pitr.LastRestore());

        // The runbooks' seam: the promoted node restored in place, to the end of the archive; a resumed run sees it done.
        var seam = new PointInTimeDataRestore(environment.WorkDirectory, NullLoggerFactory.Instance);
        var node = state.Describe().Primary!;
        Assert.False((await seam.IsRestoredAsync(state.Describe(), node, "pitr:latest", default)).TookEffect);
        var outcome = await seam.RestoreAsync(state.Describe(), node, "pitr:latest", default);
        Assert.Contains("pg-b restored to the end of the archive (latest) from repo1", outcome.Detail);
        Assert.True((await seam.IsRestoredAsync(environment.Current.Describe(), node, "pitr:latest", default)).TookEffect);
        Assert.Equal(41, await Sql.ScalarAsync<long>(Unpooled(environment.Current.Describe().ClientConnectionString()), "SELECT count(*) FROM orders"));
        Assert.Equal(NodeRole.Fenced, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
    }
}
