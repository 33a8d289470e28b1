using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Stores;
using AutoVideo.DR.Recovery.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// A local environment (primary + streaming standby) whose database holds <see cref="RichSchema"/>,
/// and one backup of it taken from the standby into the environment's backup directory. Started
/// once for the collection; tests restore into fresh databases on the primary, and copy the
/// backup before damaging it.
/// </summary>
public sealed class BackupsFixture : IAsyncLifetime
{
    OwnEnvironment environment = null!;

    public LocalEnvironmentState State => environment.State;
    public string WorkDirectory => environment.WorkDirectory;
    public DirectoryStore Store { get; private set; } = null!;
    public BackupManifest Manifest { get; private set; } = null!;
    public string Primary => State.Describe().Primary!.ConnectionString;
    public string Standby => State.Describe().Standby!.ConnectionString;

    public async Task InitializeAsync()
    {
        environment = await OwnEnvironment.StartAsync();
        await Sql.ExecuteAsync(Primary, RichSchema.Sql);
        await environment.WaitForStandbyAsync();
        Store = new DirectoryStore(State.BackupDirectory);
        Manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(Standby, Store, new BackupOptions(), default);
    }

    /// <summary>A connection string for a database on the primary that does not exist yet (restore creates it).</summary>
    public string NewTarget() => new NpgsqlConnectionStringBuilder(Primary) { Database = "restored_" + Guid.NewGuid().ToString("N")[..10] }.ConnectionString;

    /// <summary>A copy of the fixture's backup in a store of its own, for tests that damage it.</summary>
    public DirectoryStore CopyOfBackup(TemporaryDirectory into)
    {
        var source = Path.Combine(State.BackupDirectory, Manifest.Name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(into.Path, Manifest.Name, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return new DirectoryStore(into.Path);
    }

    /// <summary>
    /// A backup as the catalog sees it: the fixture's manifest under a name and time of its own; with
    /// <paramref name="part"/>, one part written first through the store (so tagged and locked as a real one).
    /// </summary>
    public async Task<string> SyntheticAsync(IBackupStore store, DateTimeOffset time, bool part = false)
    {
        var manifest = Manifest with { Name = BackupName.For(time), Snapshot = Manifest.Snapshot with { Time = time } };
        if (part) await store.WriteAllBytesAsync($"{manifest.Name}/parts/schema-pre-data.sql.gz", [1, 2, 3], default);
        await store.WriteAllBytesAsync($"{manifest.Name}/{BackupManifest.FileName}", BackupManifestFile.Serialize(manifest), default);
        return manifest.Name;
    }

    public async Task DisposeAsync() => await environment.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class BackupsCollection : ICollectionFixture<BackupsFixture>, ICollectionFixture<MotoS3Fixture>
{
    public const string Name = "backups";
}
