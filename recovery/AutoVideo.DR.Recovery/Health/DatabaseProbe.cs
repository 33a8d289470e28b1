using System.Diagnostics;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>
/// Probes one PostgreSQL node: can it be reached, is it in recovery, and how far behind the
/// primary it replays. A node whose actual role contradicts its recorded one is degraded:
/// a primary in recovery, or a standby that accepts writes, is a split-brain risk.
/// </summary>
public sealed class DatabaseProbe(TimeSpan? timeout = null, TimeSpan? catchUpWindow = null)
{
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    readonly TimeSpan timeout = timeout ?? DefaultTimeout;
    /// <summary>How long a probe waits for a standby to replay what it has received before calling it behind (a quarter of its time, at most 250 ms).</summary>
    readonly TimeSpan catchUpWindow = catchUpWindow ?? TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(250).Ticks, (timeout ?? DefaultTimeout).Ticks / 4));

    /// <summary>How long one probe waits for an answer.</summary>
    public TimeSpan Timeout => timeout;
    int TimeoutSeconds => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    /// <summary>Probes <paramref name="node"/>; the primary's connection string, when given, yields the lag in bytes.</summary>
    public async Task<ComponentHealth> ProbeAsync(DatabaseNode node, string? primaryConnectionString, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            // A hung server accepts the TCP connection and then says nothing; Npgsql's own timeout counts
            // whole seconds, so the probe stops waiting here and lets the attempt finish on its own.
            return await ProbeCoreAsync(node, primaryConnectionString, clock, ct).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return new ComponentHealth(node.Name, ComponentKind.Database, ComponentStatus.Down,
                $"unreachable: no answer within {timeout.TotalMilliseconds:0} ms (hung?)", clock.Elapsed, ExpectedRole: node.Role);
        }
    }

    async Task<ComponentHealth> ProbeCoreAsync(DatabaseNode node, string? primaryConnectionString, Stopwatch clock, CancellationToken ct)
    {
        var role = node.Role;
        try
        {
            await using var connection = await DatabaseConnection.OpenAsync(WithTimeout(node.ConnectionString), node.Name, ct);
            await using var query = new NpgsqlCommand("""
                SELECT pg_is_in_recovery(),
                       CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
                       pg_last_wal_receive_lsn(),
                       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
                       CASE WHEN pg_is_in_recovery() THEN (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming') ELSE 0 END
                """, connection);
            await using var reader = await query.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var inRecovery = reader.GetBoolean(0);
            var lsn = reader.IsDBNull(1) ? (ulong?)null : (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(1);
            var received = reader.IsDBNull(2) ? (NpgsqlTypes.NpgsqlLogSequenceNumber?)null : reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(2);
            var sinceLastCommit = reader.IsDBNull(3) ? (double?)null : reader.GetDouble(3);
            var streaming = reader.GetInt64(4) > 0;
            await reader.DisposeAsync();
            // A standby that never streamed (no received WAL to compare) holds data as old as its last replayed commit.
            double? lagSeconds = !inRecovery ? 0
                : received is not { } r ? sinceLastCommit
                : (ulong)r > lsn ? await ReplayLagAsync(connection, r, sinceLastCommit, ct)
                : 0;

            long? lagBytes = inRecovery ? await LagBytesAsync(lsn, primaryConnectionString, ct) : 0;
            var roleMismatch = node.Role switch
            {
                NodeRole.Primary when inRecovery => "recorded as primary but in recovery",
                NodeRole.Standby when !inRecovery => "recorded as standby but accepts writes (split-brain risk)",
                NodeRole.Fenced when !inRecovery => "fenced but accepts writes (split-brain risk)",
                _ => null,
            };
            var status = roleMismatch is null && (!inRecovery || streaming || node.Role == NodeRole.Fenced) ? ComponentStatus.Healthy : ComponentStatus.Degraded;
            var detail = roleMismatch
                ?? (inRecovery ? (streaming ? "standby, streaming" : "standby, not streaming") : "primary, accepts writes");
            return new ComponentHealth(node.Name, ComponentKind.Database, status, detail, clock.Elapsed, inRecovery, lagBytes, lagSeconds, role);
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return new ComponentHealth(node.Name, ComponentKind.Database, ComponentStatus.Down, "unreachable: " + DatabaseConnection.Message(e), clock.Elapsed, ExpectedRole: role);
        }
    }

    /// <summary>
    /// How far behind a standby replays when it holds WAL it has not replayed yet. The time since its
    /// last replayed commit (what is usually shown) only bounds that from above: on an idle primary the
    /// last commit may be an hour old while the standby is a few milliseconds from replaying a
    /// checkpoint record; a probe in that instant reported all that time as lag (211 s on an idle
    /// local environment; past the RPO, a minor disaster to assess and an unusable standby to the
    /// runbook). So the probe watches briefly: a standby that replays what it had received within the
    /// catch-up window is behind by at most the time it took; one that does not is behind by the time
    /// since its last replayed commit, or by an unknown amount when it has replayed none since it started.
    /// </summary>
    async Task<double?> ReplayLagAsync(NpgsqlConnection connection, NpgsqlTypes.NpgsqlLogSequenceNumber received, double? sinceLastCommit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var caughtUp = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", connection);
        caughtUp.Parameters.AddWithValue(received.ToString());
        while (watch.Elapsed < catchUpWindow)
        {
            if (await caughtUp.ExecuteScalarAsync(ct) is true) return watch.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
        return sinceLastCommit;
    }

    async Task<long?> LagBytesAsync(ulong? replayLsn, string? primaryConnectionString, CancellationToken ct)
    {
        if (replayLsn is null || primaryConnectionString is null) return null;
        // A hung primary must not make its standby look down: the lag is then unknown, nothing more.
        try
        {
            return await PrimaryDistanceAsync(replayLsn.Value, primaryConnectionString, ct).WaitAsync(timeout / 2, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    async Task<long?> PrimaryDistanceAsync(ulong replayLsn, string primaryConnectionString, CancellationToken ct)
    {
        try
        {
            var result = await DatabaseConnection.ScalarAsync<object>(WithTimeout(primaryConnectionString), "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END", ct);
            return result is NpgsqlTypes.NpgsqlLogSequenceNumber primaryLsn ? Math.Max(0, (long)((ulong)primaryLsn - replayLsn)) : null;
        }
        catch (Exception e) when (e is RecoveryException || DatabaseConnection.IsUnreachable(e))
        {
            return null;
        }
    }

    string WithTimeout(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Timeout = TimeoutSeconds, Pooling = false }.ConnectionString;
}
