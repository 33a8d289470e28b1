using System.Text.Json;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

/// <summary>
/// The major runbook recovering a failed Redis primary, through the CLI, against a real local
/// environment (its own per test: the runbook changes the cache's roles).
/// </summary>
public sealed class CacheRunbookTests : IAsyncLifetime
{
    OwnEnvironment environment = null!;

    string Work => environment.WorkDirectory;

    public async Task InitializeAsync() => environment = await OwnEnvironment.StartAsync();

    public async Task DisposeAsync() => await environment.DisposeAsync();

    Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync([.. args, "--workdir", Work]);

    LocalCacheNodeState Cache(string name) => environment.Current.Caches!.Single(c => c.Name == name);

    RedisServer Server(string name) => LocalCache.Server(Cache(name));

    async Task<string?> RedisAsync(string node, params object[] command)
    {
        await using var connection = await RespConnection.OpenAsync(Server(node).Endpoint, default);
        return RespConnection.AsText(await connection.CallAsync(default, command));
    }

    async Task<IReadOnlyDictionary<string, string>> ReplicationAsync(string node)
    {
        await using var connection = await RespConnection.OpenAsync(Server(node).Endpoint, default);
        return await connection.InfoAsync("replication", default);
    }

    IReadOnlyList<JournalEntry> Entries() => Journal.All(Journal.DirectoryIn(Work)).Single(j => j.RunId.EndsWith("failover-major")).Read();

    static List<string> Ended(IReadOnlyList<JournalEntry> entries, string kind) => entries.Where(e => e.Kind == kind).Select(e => e.StepId!).ToList();

    [Fact]
    public async Task A_killed_redis_primary_is_recovered_by_promoting_its_replica_and_rebuilt_as_its_replica_with_the_loss_bounded_from_its_last_rdb()
    {
        for (var i = 0; i < 50; i++) await RedisAsync("cache-a", "SET", $"job:{i}", "queued");
        // The primary's own RDB records the replication offset it had reached: the last offset known of it once it dies.
        // (A replica's full sync may still be saving in the background: SAVE is refused until it ends.)
        await Sql.EventuallyAsync(async () => (await RedisAsync("cache-a", "INFO", "persistence"))!.Contains("rdb_bgsave_in_progress:0"), "cache-a's background save ending");
        Assert.Equal("OK", await RedisAsync("cache-a", "SAVE"));
        await LocalCache.WaitForSyncAsync(Server("cache-b").Endpoint, default);
        await Sql.EventuallyAsync(async () => (await ReplicationAsync("cache-b")).GetValueOrDefault("slave_repl_offset") == (await ReplicationAsync("cache-a")).GetValueOrDefault("master_repl_offset"), "cache-b catching up");
        Assert.NotNull(Server("cache-a").Kill());

        var plan = await Cli("failover", "--level", "major", "--dry-run");
        Assert.Equal(0, plan.ExitCode);
        foreach (var id in new[] { "restore-cache", "measure-cache-loss", "repair-cache" }) Assert.Contains(id, plan.Out);
        Assert.Contains("assessment now: cache primary cache-a down: replica cache-b: usable", plan.Out);

        var result = await Cli("failover", "--level", "major", "--declared-by", "dave");

        Assert.True(result.ExitCode == 0, result.ToString());
        var entries = Entries();
        Assert.Equal(["assess", "restore-cache", "measure-data-loss", "measure-cache-loss", "repair-cache", "full-verification", "report"], Ended(entries, JournalKinds.StepCompleted));
        Assert.Equal(["isolate-failed", "restore-available", "repair-failed"], Ended(entries, JournalKinds.StepSkipped));
        Assert.Contains("chosen: promote cache-b", entries.Single(e => e.Kind == JournalKinds.StepCompleted && e.StepId == "assess").Output);

        // cache-b serves, clients' endpoint leads there, the data survived, and cache-a came back as its replica.
        Assert.Equal(NodeRole.Primary, Cache("cache-b").Role);
        Assert.Equal(NodeRole.Standby, Cache("cache-a").Role);
        Assert.Equal(Server("cache-b").Endpoint.ToString(), environment.Current.Describe().CacheEndpoint);
        Assert.Equal("queued", await RedisAsync("cache-b", "GET", "job:49"));
        var rejoined = await ReplicationAsync("cache-a");
        Assert.Equal(("slave", Server("cache-b").Port.ToString(), "up"), (rejoined["role"], rejoined["master_port"], rejoined["master_link_status"]));
        await RedisAsync("cache-b", "SET", "job:50", "rendering");
        await Sql.EventuallyAsync(async () => await RedisAsync("cache-a", "GET", "job:50") == "rendering", "cache-a replicating cache-b");

        // Never a default 0: bounded from the dead primary's last RDB, in writes.
        var status = JsonDocument.Parse((await Cli("incident", "status", "--json")).Out).RootElement;
        var loss = status.GetProperty("cacheDataLoss");
        Assert.Equal("upper bound", KindName(loss));
        Assert.Equal("write", loss.GetProperty("unit").GetString());
        Assert.Contains("last known offset", loss.GetProperty("basis").GetString());
        Assert.True(loss.GetProperty("seconds").GetDouble() > 0);
        var report = await File.ReadAllTextAsync(Directory.GetFiles(Journal.DirectoryIn(Work), "*-report.md").Single());
        Assert.Contains("## 快取 (Redis)", report);
        Assert.Contains("cache data loss: at most", report);
    }

    [Fact]
    public async Task Without_a_usable_replica_the_newest_backups_redis_part_is_restored_and_a_resumed_run_does_not_restore_it_again()
    {
        await RedisAsync("cache-a", "SET", "video:1", "done");
        await LocalCache.WaitForSyncAsync(Server("cache-b").Endpoint, default);
        var backup = await Cli("backup", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var name = JsonDocument.Parse(backup.Out).RootElement.GetProperty("name").GetString()!;
        await RedisAsync("cache-a", "SET", "video:2", "after the backup");
        Assert.NotNull(Server("cache-b").Kill());
        Assert.NotNull(Server("cache-a").Kill());

        // Killed once the restore is done, before the journal says so (restore-cache is step 4).
        var crashed = await CliRunner.RunAsync(["failover", "--level", "major", "--workdir", Work], new Dictionary<string, string> { [Recovery.Runbooks.CrashPoint.InStepVariable] = "4" });
        Assert.True(crashed.ExitCode != 0, crashed.ToString());
        Assert.Equal(name, Cache("cache-a").RestoredFrom);
        var result = await Cli("failover", "--level", "major");

        Assert.True(result.ExitCode == 0, result.ToString());
        var entries = Entries();
        Assert.Single(entries, e => e.Kind == JournalKinds.StepStarted && e.StepId == "restore-cache");
        Assert.StartsWith($"already in effect: cache-a holds {name}", entries.Single(e => e.Kind == JournalKinds.StepCompleted && e.StepId == "restore-cache").Output);
        Assert.Contains($"chosen: restore {name}'s Redis part into cache-a", entries.Single(e => e.Kind == JournalKinds.StepCompleted && e.StepId == "assess").Output);
        Assert.Equal("done", await RedisAsync("cache-a", "GET", "video:1"));
        Assert.Null(await RedisAsync("cache-a", "GET", "video:2"));
        Assert.Equal(NodeRole.Primary, Cache("cache-a").Role);
        Assert.Equal(NodeRole.Standby, Cache("cache-b").Role);
        Assert.Equal("up", (await ReplicationAsync("cache-b"))["master_link_status"]);

        // What a restore loses is bounded by the backup's age at the failure.
        var loss = JsonDocument.Parse((await Cli("incident", "status", "--json")).Out).RootElement.GetProperty("cacheDataLoss");
        Assert.Equal("upper bound", KindName(loss));
        Assert.Contains($"backup {name}'s Redis part was taken at", loss.GetProperty("basis").GetString());
    }

    [Fact]
    public async Task A_failed_cache_with_nothing_to_recover_from_is_refused_at_the_assessment_and_the_other_levels_send_it_to_major()
    {
        await RedisAsync("cache-a", "SET", "k", "v");
        var minorPlan = await Cli("failover", "--level", "minor", "--dry-run");
        Assert.Equal(0, minorPlan.ExitCode);
        Assert.NotNull(Server("cache-a").Kill());

        var minor = await Cli("failover", "--level", "minor");
        Assert.Equal(1, minor.ExitCode);
        Assert.Contains("the cache primary cache-a is down: that is a major failure", minor.Error);
        var critical = await Cli("failover", "--level", "critical");
        Assert.Equal(1, critical.ExitCode);
        Assert.Contains("only the cache primary cache-a is down, the database serves", critical.Error);

        Assert.NotNull(Server("cache-b").Kill());
        var major = await Cli("failover", "--level", "major");

        Assert.Equal(1, major.ExitCode);
        Assert.Single(major.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Assert.Contains("the cache primary cache-a is down and nothing can bring its data back (replica cache-b: unusable (cache-b is down", major.Error);
        Assert.Contains("none in", major.Error);
        Assert.Contains("nothing was changed", major.Error);
        Assert.Equal([NodeRole.Primary, NodeRole.Standby], environment.Current.Caches!.Select(c => c.Role));
    }

    static string KindName(JsonElement loss) => loss.GetProperty("kind").GetString() switch
    {
        "UpperBound" or "upperBound" => "upper bound",
        var other => other!.ToLowerInvariant(),
    };
}
