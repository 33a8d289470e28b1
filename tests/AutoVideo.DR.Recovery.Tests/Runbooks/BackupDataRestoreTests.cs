using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Promotion;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Runbooks;

public sealed class BackupDataRestoreTests
{
    [Fact]
    public async Task The_runbook_restore_replaces_the_replicas_data_with_the_chosen_backup_and_knows_it_did()
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

        var (chosen, point) = (await restore.NewestAsync(description, CancellationToken.None))!.Value;
        Assert.False((await restore.IsRestoredAsync(description, description.Primary!, chosen, CancellationToken.None)).TookEffect);
        var outcome = await restore.RestoreAsync(description, description.Primary!, chosen, CancellationToken.None);

        Assert.Equal(chosen, outcome.Backup);
        Assert.NotNull(point.Lsn);
        Assert.Equal(100L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM renders"));
        Assert.True((await restore.IsRestoredAsync(description, description.Primary!, chosen, CancellationToken.None)).TookEffect);
        // The record is of this backup: a resumed run that chose another one would restore it.
        Assert.False((await restore.IsRestoredAsync(description, description.Primary!, "autovideo_backup_20200101T000000Z", CancellationToken.None)).TookEffect);
    }
}
