using AutoVideo.DR.Recovery.Postgres;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Promotion;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoVideo.DR.Recovery.Tests.Promotion;

public sealed class PromotionTests
{
    static LocalPromotion Promotion => new(NullLogger<LocalPromotion>.Instance);

    [Fact]
    public async Task Promote_after_the_primary_dies_makes_the_standby_writable_and_records_the_new_roles()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "CREATE TABLE t(v int); INSERT INTO t VALUES (1)");
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM pg_class WHERE relname = 't'") == 1, "replication of t");
        environment.Server("pg-a").Kill();

        var result = await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        Assert.Equal("pg-b", result.NewPrimary);
        Assert.False(result.Fence.WasRunning);
        Assert.Equal(NodeRole.Primary, environment.Current.Nodes.Single(n => n.Name == "pg-b").Role);
        Assert.Equal(NodeRole.Fenced, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-b"), "INSERT INTO t VALUES (2)");
        Assert.Equal(2L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task A_fenced_old_primary_started_again_refuses_writes()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        environment.Server("pg-a").Kill();
        await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        await environment.Server("pg-a").StartAsync(CancellationToken.None);

        Assert.True(await Sql.ScalarAsync<bool>(environment.ConnectionString("pg-a"), "SELECT pg_is_in_recovery()"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "CREATE TABLE split_brain(v int)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    [Fact]
    public async Task Promote_stops_a_primary_that_still_runs_so_there_are_never_two_writable_nodes()
    {
        await using var environment = await OwnEnvironment.StartAsync();

        var result = await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        Assert.True(result.Fence.WasRunning);
        Assert.Contains("still running", result.Fence.Method);
        Assert.False(environment.Server("pg-a").IsRunning());
    }

    [Fact]
    public async Task A_hung_primary_is_killed_with_its_backends_so_a_session_it_had_open_cannot_commit()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await using var session = await DatabaseConnection.OpenAsync(environment.ConnectionString("pg-a"), "primary", CancellationToken.None);
        await using var transaction = await session.BeginTransactionAsync();
        await using (var write = new NpgsqlCommand("CREATE TABLE written_by_the_hung_primary(v int)", session, transaction)) await write.ExecuteNonQueryAsync();
        environment.Server("pg-a").Freeze();

        var result = await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        Assert.True(result.Fence.WasRunning);
        Assert.Contains("SIGKILL", result.Fence.Method);
        Assert.False(environment.Server("pg-a").IsRunning());
        await Assert.ThrowsAnyAsync<Exception>(() => transaction.CommitAsync());
        Assert.Equal(0L, await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM pg_class WHERE relname = 'written_by_the_hung_primary'"));
    }

    [Fact]
    public async Task Rejoin_turns_the_fenced_node_into_a_standby_that_replays_the_new_primary()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        environment.Server("pg-a").Kill();
        await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-b"), "CREATE TABLE after_failover(v int); INSERT INTO after_failover VALUES (42)");

        var result = await new Rejoin(NullLogger<Rejoin>.Instance).RejoinAsync(environment.WorkDirectory, forceBaseBackup: false, CancellationToken.None);

        Assert.Equal("pg-a", result.Node);
        Assert.Equal("pg_rewind", result.Method);
        Assert.Equal(NodeRole.Standby, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.True(await Sql.ScalarAsync<bool>(environment.ConnectionString("pg-a"), "SELECT pg_is_in_recovery()"));
        await Sql.EventuallyAsync(async () =>
            await Sql.ScalarAsync<long>(environment.ConnectionString("pg-a"), "SELECT count(*) FROM pg_class WHERE relname = 'after_failover'") == 1,
            "replay of the new primary's table on the rejoined node");
        Assert.Equal(42, await Sql.ScalarAsync<int>(environment.ConnectionString("pg-a"), "SELECT v FROM after_failover"));
    }

    [Fact]
    public async Task Rejoin_by_base_backup_also_yields_a_streaming_standby_and_a_second_failover_works()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);
        var rejoined = await new Rejoin(NullLogger<Rejoin>.Instance).RejoinAsync(environment.WorkDirectory, forceBaseBackup: true, CancellationToken.None);
        Assert.StartsWith("pg_basebackup", rejoined.Method);

        var back = await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);

        Assert.Equal("pg-a", back.NewPrimary);
        Assert.False(await Sql.ScalarAsync<bool>(environment.ConnectionString("pg-a"), "SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task A_full_switch_back_cycle_ends_with_the_original_roles_and_every_write_on_both_nodes()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var rejoin = new Rejoin(NullLogger<Rejoin>.Instance);
        environment.Server("pg-a").Kill();
        await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-b"), "CREATE TABLE during_incident(v int); INSERT INTO during_incident VALUES (1)");
        await rejoin.RejoinAsync(environment.WorkDirectory, forceBaseBackup: false, CancellationToken.None);
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.ConnectionString("pg-a"), "SELECT count(*) FROM pg_class WHERE relname = 'during_incident'") == 1, "replay on pg-a");

        await Promotion.PromoteAsync(environment.WorkDirectory, CancellationToken.None);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "INSERT INTO during_incident VALUES (2)");
        await rejoin.RejoinAsync(environment.WorkDirectory, forceBaseBackup: false, CancellationToken.None);

        Assert.Equal(NodeRole.Primary, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
        Assert.Equal(NodeRole.Standby, environment.Current.Nodes.Single(n => n.Name == "pg-b").Role);
        await Sql.EventuallyAsync(async () => await Sql.ScalarAsync<long>(environment.ConnectionString("pg-b"), "SELECT count(*) FROM during_incident") == 2, "replay of the switched-back primary on pg-b");
    }

    [Fact]
    public async Task Promote_of_a_standby_that_is_not_in_recovery_is_refused_in_one_line()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await Sql.ScalarAsync<bool>(environment.ConnectionString("pg-b"), "SELECT pg_promote()");

        var result = await CliRunner.RunAsync("promote", "--workdir", environment.WorkDirectory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("pg-b", result.Error);
        Assert.Contains("is not in recovery", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Assert.True(environment.Server("pg-a").IsRunning(), "a refused promotion must not fence the primary");
    }

    [Fact]
    public async Task Promote_with_the_standby_unreachable_reports_the_refused_connection()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        await environment.Server("pg-b").StopAsync(CancellationToken.None);

        var result = await CliRunner.RunAsync("promote", "--workdir", environment.WorkDirectory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the standby pg-b", result.Error);
        Assert.Contains("refused", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(NodeRole.Primary, environment.Current.Nodes.Single(n => n.Name == "pg-a").Role);
    }

    [Fact]
    public async Task Rejoin_without_a_fenced_node_is_refused()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var result = await CliRunner.RunAsync("rejoin", "--workdir", environment.WorkDirectory);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no fenced node to rejoin", result.Error);
    }
}
