using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Promotion;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

public sealed class BackupDataRestoreTests
{
    [Fact]
    public async Task The_runbook_restore_replaces_the_replicas_data_with_the_newest_backup_and_knows_it_did()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "CREATE TABLE renders(id int PRIMARY KEY); INSERT INTO renders SELECT generate_series(1, 100)");
        await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(environment.ConnectionString("pg-a"),
            BackupStore.Open(environment.Current.BackupDirectory), new BackupOptions(), CancellationToken.None);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "INSERT INTO renders SELECT generate_series(101, 150)");
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM renders") == 150, "replication");
        environment.Server("pg-a").Kill();
        await new LocalPromotion(NullLogger<LocalPromotion>.Instance).PromoteAsync(environment.WorkDirectory, CancellationToken.None);
        var description = environment.Current.Describe();
        var restore = new BackupDataRestore(NullLoggerFactory.Instance);

        Assert.False((await restore.IsRestoredAsync(description, description.Primary!, CancellationToken.None)).TookEffect);
        var outcome = await restore.RestoreLatestAsync(description, description.Primary!, CancellationToken.None);

        Assert.StartsWith("autovideo_backup_", outcome.Backup);
        Assert.Equal(100L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM renders"));
        Assert.True((await restore.IsRestoredAsync(description, description.Primary!, CancellationToken.None)).TookEffect);
    }
}
