using AutoVideo.DR.Recovery.Health;

namespace AutoVideo.DR.Recovery.Tests.Health;

/// <summary>The standby's lag in seconds: a standby about to replay is not reported as far behind as its last commit is old.</summary>
[Collection(LocalEnvironmentCollection.Name)]
public sealed class ReplayLagTests(LocalEnvironmentFixture environment)
{
    [Fact]
    public async Task A_standby_that_replays_within_the_probe_is_barely_behind_and_a_paused_one_is_as_far_behind_as_its_last_commit()
    {
        var databases = environment.State.Describe();
        var (primary, standby) = (databases.Primary!, databases.Standby!);
        await Sql.ExecuteAsync(primary.ConnectionString, "CREATE TABLE IF NOT EXISTS replay_lag_probe (at timestamptz)");
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<bool>(standby.ConnectionString, "SELECT to_regclass('replay_lag_probe') IS NOT NULL"), "the table replayed");
        // No commit for 3 s: the standby's last replayed commit is at least that old.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Sql.ExecuteAsync(standby.ConnectionString, "SELECT pg_wal_replay_pause()");
        try
        {
            await Sql.ExecuteAsync(primary.ConnectionString, "INSERT INTO replay_lag_probe VALUES (now())");
            await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<bool>(standby.ConnectionString, "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"), "WAL received and not replayed");

            var paused = await new DatabaseProbe(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300)).ProbeAsync(standby, primary.ConnectionString, default);

            Assert.True(paused.LagSeconds >= 3, $"paused: {paused.LagSeconds} s");

            // Replay resumes once the probe watches it catch up (its catch-up query seen from a session opened
            // after this point): what it had received is replayed inside the window. A fixed delay instead
            // let a slow connection find the standby already caught up, lag 0 (CI, under load).
            var since = await Sql.ScalarAsync<DateTime>(standby.ConnectionString, "SELECT clock_timestamp()");
            var resume = Task.Run(async () =>
            {
                await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<bool>(standby.ConnectionString,
                    $"SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'SELECT pg_last_wal_replay_lsn() >=%' AND backend_start > '{since:O}'::timestamptz)"), "the probe watching replay");
                await Sql.ExecuteAsync(standby.ConnectionString, "SELECT pg_wal_replay_resume()");
            });
            var resumed = await new DatabaseProbe(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)).ProbeAsync(standby, primary.ConnectionString, default);
            await resume;

            Assert.True(resumed.LagSeconds is > 0 and < 2, $"resumed: {resumed.LagSeconds} s (its last replayed commit was at least {paused.LagSeconds:0.0} s old)");
        }
        finally
        {
            await Sql.ExecuteAsync(standby.ConnectionString, "SELECT pg_wal_replay_resume()");
        }
    }
}
