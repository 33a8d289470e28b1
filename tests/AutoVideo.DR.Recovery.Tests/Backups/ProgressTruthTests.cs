using System.Collections.Concurrent;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>What the progress of a real backup and restore says: never more done than its total, and every phase ends at its total.</summary>
[Collection(BackupsCollection.Name)]
public sealed class ProgressTruthTests(BackupsFixture fixture)
{
    [Fact]
    public async Task A_backup_and_its_restore_never_report_more_than_the_total_and_end_at_it()
    {
        using var directory = new TemporaryDirectory();
        var store = new DirectoryStore(directory.Path);
        var reports = new ConcurrentQueue<TransferProgress>();
        var progress = new ImmediateProgress(reports.Enqueue);

        var writer = new BackupWriter(NullLogger<BackupWriter>.Instance);
        await writer.BackupAsync(fixture.Standby, store, new BackupOptions(RangeBytes: 16 << 10), default);
        // The second backup reads the first one's throughput for its estimates while its schema
        // sections are dumped: slowed down, so they end meanwhile (once counted twice: "schema 4 of 2").
        var slowHistory = new InterceptingStore(store, (_, _) => Task.CompletedTask, (key, stream) =>
        {
            if (key.EndsWith(ThroughputRecord.FileName, StringComparison.Ordinal)) Thread.Sleep(1000);
            return stream;
        });
        await writer.BackupAsync(fixture.Standby, slowHistory, new BackupOptions(Progress: progress, RangeBytes: 16 << 10), default);
        var restored = await new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(store, "latest", fixture.NewTarget(), new RestoreOptions(Progress: progress), default);

        Assert.True(restored.Passed);
        var phases = reports.SelectMany(r => r.Phases.Select(p => (r.Operation, Phase: p))).ToList();
        Assert.Contains(phases, p => p.Operation == "backup" && p.Phase.Phase == TransferPhase.Schema);
        Assert.Contains(phases, p => p.Operation == "restore" && p.Phase.Phase == TransferPhase.Verify);
        Assert.All(phases, p => Assert.True(p.Phase.Done <= p.Phase.Total, $"{p.Operation} {p.Phase.Phase}: {p.Phase.Done} of {p.Phase.Total}"));
        foreach (var operation in new[] { "backup", "restore" })
        {
            var last = reports.Last(r => r.Operation == operation);
            Assert.All(last.Phases, p => Assert.True(p.State == PhaseState.Done && p.Done == p.Total, $"{operation} ended with {p.Phase} {p.State}, {p.Done} of {p.Total}"));
        }
    }
}
