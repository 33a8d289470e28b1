using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// The backup's copy workers read tables on libpq, the restore reads them back on Npgsql: both must
/// give the same bytes, and a COPY that fails, is cancelled or cannot start ends in one clear error,
/// never a hang or a silently short part.
/// </summary>
[Collection(BackupsCollection.Name)]
public sealed class LibPqSessionTests(BackupsFixture fixture)
{
    [Theory]
    [InlineData("UTF8")]
    [InlineData("LATIN1")]
    public async Task A_COPY_gives_the_bytes_Npgsql_gives_rows_longer_than_a_buffer_included(string encoding)
    {
        var database = fixture.NewTarget();
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        await Sql.ExecuteAsync(fixture.Primary, $"CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        await Sql.ExecuteAsync(database, """
            CREATE TABLE t (id int, body text, at timestamptz, amount numeric, tags text[], raw bytea);
            INSERT INTO t SELECT x, repeat(md5(x::text), 1 + x % 7) || E'\ttab\nnewline\\back é ü', '2024-02-29 12:00+05:30', x / 7.0, ARRAY['a b', NULL], decode(md5(x::text), 'hex') FROM generate_series(1, 20000) x;
            INSERT INTO t VALUES (0, repeat('x', 200000), NULL, NULL, NULL, NULL), (-1, repeat('é', 70000), NULL, NULL, NULL, NULL);
            """);
        const string sql = "COPY t TO STDOUT";

        using var session = await BackupSession.OpenCopyAsync(database, "source", default);
        using var viaLibPq = new MemoryStream();
        using var observed = new MemoryStream();
        var moved = await session.CopyOutAsync(sql, viaLibPq, bytes => observed.Write(bytes.Span), default);
        await using var npgsql = await BackupSession.OpenAsync(database, "source", default);
        using var viaNpgsql = new MemoryStream();
        using (var copy = await npgsql.BeginTextExportAsync(sql))
            await ((StreamReader)copy).BaseStream.CopyToAsync(viaNpgsql);

        Assert.True(viaNpgsql.Length > 400_000, $"the table's COPY is only {viaNpgsql.Length} bytes");
        Assert.Equal(viaNpgsql.Length, moved);
        Assert.True(viaNpgsql.ToArray().AsSpan().SequenceEqual(viaLibPq.ToArray()), "libpq's COPY bytes differ from Npgsql's");
        Assert.True(viaLibPq.ToArray().AsSpan().SequenceEqual(observed.ToArray()), "the observer saw other bytes than were written");
        // The session is back at rest: it runs the next statement.
        await session.ExecuteAsync("DROP TABLE t", default);
    }

    [Fact]
    public async Task A_COPY_the_server_breaks_off_half_way_is_an_error_naming_the_database_and_the_reason()
    {
        using var session = await BackupSession.OpenCopyAsync(fixture.Primary, "source", default);
        using var output = new MemoryStream();

        var e = await Assert.ThrowsAsync<RecoveryException>(() => session.CopyOutAsync(
            "COPY (SELECT CASE WHEN x = 50000 THEN 1 / (x - x) ELSE x END FROM generate_series(1, 100000) x) TO STDOUT", output, _ => { }, default));

        Assert.True(output.Length > 0, "the rows before the failure did not arrive, so the test shows nothing");
        Assert.Contains(DatabaseConnection.Describe(fixture.Primary), e.Message);
        Assert.Contains("division by zero", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var again = await Assert.ThrowsAsync<RecoveryException>(() => session.ExecuteAsync("SELECT 1", default));
        Assert.Contains("left inside a failed COPY", again.Message);
    }

    [Fact]
    public async Task Cancelling_a_COPY_cancels_it_on_the_server()
    {
        var name = "libpq-cancel-" + Guid.NewGuid().ToString("N")[..8];
        var connection = new NpgsqlConnectionStringBuilder(fixture.Primary) { ApplicationName = name }.ConnectionString;
        using var session = await BackupSession.OpenCopyAsync(connection, "source", default);
        using var cancel = new CancellationTokenSource();
        var rows = 0L;

        // About 100 s of rows if nothing stops it; cancelled once some have arrived.
        var copy = session.CopyOutAsync("COPY (SELECT x, repeat('x', 8000), pg_sleep(0.001) FROM generate_series(1, 100000) x) TO STDOUT", Stream.Null, bytes =>
        {
            if (Interlocked.Add(ref rows, bytes.Length) > 0) cancel.Cancel();
        }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copy.WaitAsync(TimeSpan.FromSeconds(60)));
        // Not only the client stopped reading: the server stopped the statement (it would otherwise stay active, blocked on its send).
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(fixture.Primary, $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}' AND state = 'active'") == 0,
            "the cancelled COPY's statement ending on the server", seconds: 10);
    }

    [Fact]
    public async Task A_connection_lost_in_the_middle_of_a_COPY_is_an_error_not_a_hang()
    {
        var name = "libpq-lost-" + Guid.NewGuid().ToString("N")[..8];
        var connection = new NpgsqlConnectionStringBuilder(fixture.Primary) { ApplicationName = name }.ConnectionString;
        using var session = await BackupSession.OpenCopyAsync(connection, "source", default);
        var terminated = 0;

        // About 100 s of rows if nothing stops it; its server process is killed once some have arrived.
        var copy = session.CopyOutAsync("COPY (SELECT x, repeat('x', 8000), pg_sleep(0.001) FROM generate_series(1, 100000) x) TO STDOUT", Stream.Null, _ =>
        {
            if (Interlocked.Exchange(ref terminated, 1) == 0)
                Sql.ExecuteAsync(fixture.Primary, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'").GetAwaiter().GetResult();
        }, default);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => copy.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(DatabaseConnection.Describe(fixture.Primary), e.Message);
        Assert.Contains("terminat", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_statement_the_server_refuses_is_its_message_and_the_session_goes_on()
    {
        using var session = await BackupSession.OpenCopyAsync(fixture.Primary, "source", default);

        var e = await Assert.ThrowsAsync<RecoveryException>(() => session.ExecuteAsync("SELECT * FROM no_such_table_here", default));

        Assert.Contains("relation \"no_such_table_here\" does not exist", e.Message);
        await session.ExecuteAsync("SELECT 1", default);
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_one_line_naming_it_without_the_password()
    {
        var port = FreePort.Pick();
        var connection = $"Host=127.0.0.1;Port={port};Username=postgres;Password=hunter2;Database=autovideo;Timeout=3";

        var e = await Assert.ThrowsAsync<RecoveryException>(() => BackupSession.OpenCopyAsync(connection, "source", default));

        Assert.StartsWith($"cannot connect to the source database 127.0.0.1:{port}/autovideo: ", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
