using System.Text.Json;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// Retention never keeps a bad backup in place of a good one, and a folder whose backup name is
/// not a real time breaks neither list nor prune.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class PruneTests(BackupsFixture fixture) : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    string[] Common => ["--store", directory.Path, "--metrics-file", directory.Combine("m.prom")];

    [Fact]
    public async Task A_damaged_newest_backup_is_reported_and_the_older_intact_one_kept_in_its_place()
    {
        var store = new DirectoryStore(directory.Path);
        var now = DateTimeOffset.UtcNow;
        var good = await fixture.SyntheticAsync(store, now.AddHours(-3));
        var failed = await fixture.SyntheticAsync(store, now.AddHours(-2));
        await new BackupCatalog(store).RecordVerificationAsync(failed, new VerificationRecord(now.AddMinutes(-90), false, "part parts/x is damaged"), default);
        var corrupted = await fixture.SyntheticAsync(store, now.AddHours(-1));
        var manifestPath = directory.Combine(corrupted, BackupManifest.FileName);
        await File.WriteAllTextAsync(manifestPath, (await File.ReadAllTextAsync(manifestPath)).Replace("\"rows\": 2000", "\"rows\": 2001"));
        // One tier pick only: without the rule, the corrupted backup would be it (and the newest), and the good one deleted.
        string[] prune = ["backups", "prune", "--keep-hourly", "1", "--keep-daily", "0", "--keep-weekly", "0", .. Common];

        var result = await CliRunner.RunAsync([.. prune, "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = JsonDocument.Parse(result.Out).RootElement.GetProperty("backups").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => (Action: r.GetProperty("action").GetString(), Reason: r.GetProperty("reason").GetString()!));
        Assert.Equal("keep", rows[good].Action);
        Assert.Contains("newest", rows[good].Reason);
        Assert.Equal("damaged", rows[corrupted].Action);
        Assert.Contains("manifest.json is damaged", rows[corrupted].Reason);
        Assert.Equal("damaged", rows[failed].Action);
        Assert.Contains("failed verification", rows[failed].Reason);
        Assert.Equal(3, Directory.GetDirectories(directory.Path).Length);

        var text = await CliRunner.RunAsync(prune);
        Assert.Contains("0 deleted, 1 kept, 2 damaged", text.Out);
        Assert.Contains("keep (DAMAGED)", text.Out);
    }

    [Fact]
    public async Task A_month_13_name_is_listed_as_malformed_and_list_prune_and_latest_still_work()
    {
        var store = new DirectoryStore(directory.Path);
        var good = await fixture.SyntheticAsync(store, DateTimeOffset.UtcNow.AddHours(-1));
        const string malformed = "autovideo_backup_20261325T093452Z";
        await store.WriteAllBytesAsync($"{malformed}/{BackupManifest.FileName}", [1, 2, 3], default);

        var list = await CliRunner.RunAsync(["backups", "list", .. Common]);
        var json = await CliRunner.RunAsync(["backups", "list", "--json", .. Common]);
        var prune = await CliRunner.RunAsync(["backups", "prune", .. Common]);
        var latest = await CliRunner.RunAsync(["backups", "latest", .. Common]);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(good, list.Out);
        Assert.Matches($@"{malformed}\s.*MALFORMED NAME", list.Out);
        Assert.Contains("not a real UTC time", list.Error);
        var entries = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().ToList();
        Assert.Contains("malformed name", entries.Single(e => e.GetProperty("name").GetString() == malformed).GetProperty("problem").GetString());
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Matches($@"{malformed}\s.*skip \(MALFORMED\)", prune.Out);
        Assert.Contains("0 deleted, 1 kept, 1 malformed", prune.Out);
        Assert.True(Directory.Exists(directory.Combine(malformed)));
        Assert.Equal(good, latest.Out.Trim());
    }
}
