using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

[Collection(BackupsCollection.Name)]
public sealed class SnapshotConsistencyTests(BackupsFixture fixture)
{
    /// <summary>
    /// Two tables written in the same transactions, copied by different workers while the writes
    /// go on, one of them starting half a second late: if the workers did not share the exported
    /// snapshot, the late one would see rows the other did not.
    /// </summary>
    [Fact]
    public async Task Tables_copied_in_parallel_during_writes_show_one_instant()
    {
        var source = fixture.NewTarget();
        await Sql.ScalarAsync<int>(new NpgsqlConnectionStringBuilder(source) { Database = "postgres" }.ConnectionString,
            $"CREATE DATABASE {new NpgsqlConnectionStringBuilder(source).Database}; SELECT 1");
        await Sql.ScalarAsync<int>(source, """
            CREATE TABLE debits (id bigint PRIMARY KEY, amount int, pad text);
            CREATE TABLE credits (id bigint PRIMARY KEY, amount int, pad text);
            INSERT INTO debits SELECT i, i % 100, repeat('d', 200) FROM generate_series(1, 100000) i;
            INSERT INTO credits SELECT i, i % 100, repeat('c', 200) FROM generate_series(1, 100000) i;
            SELECT 1
            """);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var connection = await DatabaseConnection.OpenAsync(source, "source", CancellationToken.None);
            for (var id = 100001L; !stop.IsCancellationRequested; id++)
            {
                await using var write = new NpgsqlCommand(
                    $"BEGIN; INSERT INTO debits VALUES ({id}, 1, 'x'); INSERT INTO credits VALUES ({id}, 1, 'x'); COMMIT", connection);
                await write.ExecuteNonQueryAsync();
            }
        });
        using var directory = new TemporaryDirectory();
        // The credits table's copy starts half a second after the others.
        var store = new InterceptingStore(new DirectoryStore(directory.Path), (key, ct) => key.Contains("credits") ? Task.Delay(500, ct) : Task.CompletedTask);
        try
        {
            await Task.Delay(200);
            var manifest = await new BackupWriter(NullLogger<BackupWriter>.Instance).BackupAsync(source, store, new BackupOptions(Parallelism: 3), default);

            var debits = manifest.Tables.Single(t => t.Name == "debits");
            var credits = manifest.Tables.Single(t => t.Name == "credits");
            Assert.Equal(debits.Rows, credits.Rows);
            Assert.True(debits.Rows > 100000, "the writes did not run during the backup");
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
        var target = fixture.NewTarget();
        var result = await new BackupRestore(NullLogger<BackupRestore>.Instance).RestoreAsync(store, "latest", target, new RestoreOptions(), default);
        Assert.True(result.Passed);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(target, "SELECT count(*) FROM debits d FULL JOIN credits c USING (id) WHERE d.id IS NULL OR c.id IS NULL"));
    }
}
