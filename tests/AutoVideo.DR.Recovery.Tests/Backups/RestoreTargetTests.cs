using AutoVideo.DR.Recovery.Backups;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>What a restore does to its target: refuses to overwrite by accident, and can always be re-run.</summary>
[Collection(BackupsCollection.Name)]
public sealed class RestoreTargetTests(BackupsFixture fixture)
{
    [Fact]
    public async Task A_non_empty_target_is_refused_without_force_and_replaced_with_it()
    {
        var target = fixture.NewTarget();
        await new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(), default);
        await Sql.ScalarAsync<uint>(target, "DELETE FROM media.comments WHERE id > 10; SELECT lo_from_bytea(0, 'not in the backup')");
        using var metrics = new TemporaryDirectory();
        var metricsFile = metrics.Combine("backups.prom");

        var refused = await CliRunner.RunAsync("restore", "latest", "--workdir", fixture.WorkDirectory, "--target", target, "--metrics-file", metricsFile);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not empty", refused.Error);
        Assert.Contains("--force", refused.Error);
        Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("error:"));
        Assert.Contains("autovideo_dr_restore_last_success 0", await File.ReadAllTextAsync(metricsFile));

        var forced = await CliRunner.RunAsync("restore", "latest", "--workdir", fixture.WorkDirectory, "--target", target, "--force", "--metrics-file", metricsFile);

        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains("media.comments", forced.Out);
        Assert.DoesNotContain("MISMATCH", forced.Out);
        Assert.Equal(300L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM media.comments"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM pg_largeobject_metadata"));
        var prom = await File.ReadAllTextAsync(metricsFile);
        Assert.Contains("autovideo_dr_restore_last_success 1", prom);
        Assert.Contains("autovideo_dr_restore_last_duration_seconds ", prom);
    }

    [Fact]
    public async Task A_restore_interrupted_half_way_leaves_the_target_as_it_was_and_can_be_run_again()
    {
        var target = fixture.NewTarget();
        using var interrupt = new CancellationTokenSource();
        // Interrupted once every table's data is staged and committed, before anything is swapped in.
        var progress = new ImmediateProgress(p => { if (p.Of(TransferPhase.Verify).State == PhaseState.Running) interrupt.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(Progress: progress), interrupt.Token));

        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'media') + (SELECT count(*) FROM pg_class WHERE relname LIKE 'events%')"));
        var rerun = await new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(fixture.Store, "latest", target, new RestoreOptions(), default);
        Assert.True(rerun.Passed);
    }

    [Fact]
    public async Task The_standby_while_it_replicates_is_refused_with_what_to_do()
    {
        var result = await CliRunner.RunAsync("restore", "--workdir", fixture.WorkDirectory, "--target", "standby");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("read-only standby in recovery; promote it first", result.Error);
    }
}
