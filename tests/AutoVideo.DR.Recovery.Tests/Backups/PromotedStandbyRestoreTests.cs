
namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// `restore --target standby` on an environment of its own: the standby refuses while it
/// replicates, and once promoted it takes the backup (with --force, as it holds the replicated data).
/// </summary>
public sealed class PromotedStandbyRestoreTests
{
    [Fact]
    public async Task A_promoted_standby_is_restored_into_with_force_and_verified()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var state = environment.State;
        var work = environment.WorkDirectory;
        {
            var primary = state.Describe().Primary!.ConnectionString;
            var standby = state.Describe().Standby!.ConnectionString;
            await Sql.ScalarAsync<int>(primary, "CREATE TABLE jobs (id int PRIMARY KEY, state text); INSERT INTO jobs SELECT i, 'done' FROM generate_series(1, 500) i; SELECT 1");
            var lsn = await Sql.ScalarAsync<string>(primary, "SELECT pg_current_wal_lsn()::text");
            while (!await Sql.ScalarAsync<bool>(standby, $"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")) await Task.Delay(50);

            var backup = await CliRunner.RunAsync("backup", "--workdir", work);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            Assert.True(await Sql.ScalarAsync<bool>(standby, "SELECT pg_promote()"));
            await Sql.ScalarAsync<int>(standby, "UPDATE jobs SET state = 'lost' WHERE id <= 100; SELECT 1");

            var refused = await CliRunner.RunAsync("restore", "--workdir", work, "--target", "standby");
            var restored = await CliRunner.RunAsync("restore", "latest", "--workdir", work, "--target", "standby", "--force");

            Assert.Contains("is not empty", refused.Error);
            Assert.True(restored.ExitCode == 0, restored.ToString());
            Assert.Contains("public.jobs", restored.Out);
            Assert.Equal(0L, await Sql.ScalarAsync<long>(standby, "SELECT count(*) FROM jobs WHERE state = 'lost'"));
            Assert.Contains("autovideo_dr_restore_last_success 1", await File.ReadAllTextAsync(Path.Combine(work, "metrics", "autovideo_dr_backups.prom")));
        }
    }
}
