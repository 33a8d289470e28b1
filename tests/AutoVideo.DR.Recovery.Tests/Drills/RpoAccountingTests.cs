using AutoVideo.DR.Recovery.Drills;
using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Promotion;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Drills;

public sealed class RpoAccountingTests
{
    [Fact]
    public async Task Commits_acknowledged_after_the_standby_was_cut_off_are_exactly_the_ones_counted_lost()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var description = environment.Current.Describe();
        await WorkloadSchema.CreateAsync(description.Primary!.ConnectionString, CancellationToken.None);

        var replicated = await RunWorkloadAsync(description.ClientConnectionString(), run: 1);
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM video_projects")
            == replicated.Acknowledged.Count, "the standby catching up");
        await ReplicationLink.DetachAsync(environment.Server("pg-b"), CancellationToken.None);
        var cutOff = await RunWorkloadAsync(description.ClientConnectionString(), run: 2);
        var disasterAt = DateTimeOffset.UtcNow;
        environment.Server("pg-a").Kill();
        await new LocalPromotion(NullLogger<LocalPromotion>.Instance).PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        var recovered = await RecoveredContent.LoadAsync(environment.ConnectionString("pg-b"), CancellationToken.None);
        var kept = RpoAccounting.Account(replicated, recovered, disasterAt);
        var lost = RpoAccounting.Account(cutOff, recovered, disasterAt);

        Assert.True(cutOff.Acknowledged.Count > 0, "the workload acknowledged nothing while the standby was cut off");
        Assert.Equal(0, kept.LostCommits);
        Assert.Equal(cutOff.Acknowledged.Count, lost.LostCommits);
        Assert.Equal(0, lost.PartialCommits);
        var first = cutOff.Acknowledged.Min(c => c.AcknowledgedAt);
        Assert.Equal(disasterAt - first, lost.Window);
        Assert.All(DataVerification.Verify(replicated, recovered, kept.Lost), t => Assert.True(t.Passed, $"{t.Table} differs"));
    }

    static async Task<CommitLedger> RunWorkloadAsync(string connectionString, int run)
    {
        await using var workload = new AutoVideoWorkload(connectionString, writers: 2, NullLogger.Instance, run);
        workload.Start();
        // At least 700 ms and 10 acknowledged commits: under load (CI) the writers' first sessions took longer
        // than a fixed 700 ms to open and a run acknowledged nothing.
        await Task.Delay(700);
        await Sql.EventuallyAsync(() => Task.FromResult(workload.Ledger.Count >= 10), $"run {run} of the workload acknowledging 10 commits");
        await workload.StopAsync();
        return workload.Ledger;
    }
}
