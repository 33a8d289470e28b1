using System.Text.Json;
using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Recovery.Tests.Faults;

/// <summary>
/// A 'local up' killed with SIGKILL at several points (each found by watching the state file it
/// writes): 'local status' then tells the truth about every server it shows (checked against the
/// process table), the next 'local up' finishes the environment, and 'local down' leaves nothing of
/// it running, whichever comes first.
/// </summary>
public sealed class KilledUpTests
{
    public enum Then { Up, Down }

    [Theory]
    [InlineData("pg-a created", Then.Up, false)]
    [InlineData("pg-b created", Then.Down, false)]
    [InlineData("caches created", Then.Up, false)]
    [InlineData("monitoring half started", Then.Down, true)]
    [InlineData("monitoring half started", Then.Up, true)]
    public async Task A_killed_up_is_shown_as_it_is_and_finished_or_removed(string point, Then then, bool monitoring)
    {
        using var directory = new TemporaryDirectory();
        var work = directory.Path;
        string[] up = ["local", "up", "--workdir", work, .. monitoring ? new[] { "--monitoring" } : []];
        IReadOnlyList<int> cachePorts = [];
        try
        {
            var killedAt = await KillWhenAsync(up, work, point);
            cachePorts = killedAt.Caches!.Select(c => c.Port).ToList();
            await RunningFrom.HelpersEndedAsync(work);

            var status = await CliRunner.RunAsync("local", "status", "--json", "--workdir", work);
            Assert.True(status.ExitCode == 0, status.ToString());
            var shown = JsonDocument.Parse(status.Out).RootElement;
            Assert.True(shown.TryGetProperty("unfinished", out var unfinished) && unfinished.GetString()!.Contains("did not finish"), status.Out);
            // Every server it shows, as it is; and no PostgreSQL server runs from the directory that it does not show.
            var state = LocalEnvironmentState.TryLoad(work)!;
            foreach (var node in shown.GetProperty("nodes").EnumerateArray())
                Assert.Equal(RunningFrom.Postgres(state.Nodes.Single(n => n.Name == node.GetProperty("name").GetString()).DataDirectory), node.GetProperty("running").GetBoolean());
            foreach (var cache in shown.GetProperty("caches").EnumerateArray())
                Assert.Equal(RunningFrom.Redis(cache.GetProperty("port").GetInt32()), cache.GetProperty("running").GetBoolean());
            Assert.All(RunningFrom.Directory(work).Where(f => f.Program == "postgres"),
                f => Assert.Contains(state.Nodes, n => f.CommandLine.Contains($"-D {n.DataDirectory} ", StringComparison.Ordinal)));
            if (shown.TryGetProperty("monitoring", out var processes))
                foreach (var p in processes.GetProperty("processes").EnumerateArray())
                    Assert.Equal(RunningFrom.Directory(work).Any(f => f.Pid == p.GetProperty("pid").GetInt32()), p.GetProperty("running").GetBoolean());

            if (then == Then.Up)
            {
                var finished = await CliRunner.RunAsync(up);
                Assert.True(finished.ExitCode == 0, finished.ToString());
                Assert.Contains("did not finish", finished.Error);
                var after = LocalEnvironmentState.Load(work);
                Assert.Null(after.Up);
                Assert.All(after.Nodes, n => Assert.True(RunningFrom.Postgres(n.DataDirectory), $"{n.Name} does not run after the up that finished it"));
                Assert.All(after.Caches!, c => Assert.True(RunningFrom.Redis(c.Port), $"{c.Name} does not run after the up that finished it"));
                Assert.True(await Sql.ScalarAsync<bool>(after.Describe().Standby!.ConnectionString, "SELECT pg_is_in_recovery()"));
                if (monitoring) Assert.All(after.Monitoring!.Processes, p => Assert.True(p.IsRunning(), $"{p.Name} does not run"));
                cachePorts = after.Caches!.Select(c => c.Port).ToList();
            }

            var down = await CliRunner.RunAsync("local", "down", "--workdir", work);
            Assert.True(down.ExitCode == 0, down.ToString());
            Assert.Empty(RunningFrom.Directory(work, cachePorts));
            Assert.False(Directory.Exists(work));
        }
        finally
        {
            if (Directory.Exists(work)) await CliRunner.RunAsync("local", "down", "--workdir", work);
        }
    }

    [Fact]
    public async Task Ports_planned_by_an_up_and_taken_by_another_program_before_their_servers_start_are_chosen_again()
    {
        using var directory = new TemporaryDirectory();
        var work = directory.Path;
        string[] up = ["local", "up", "--workdir", work];
        try
        {
            var planned = await KillWhenAsync(up, work, "pg-a created");
            await RunningFrom.HelpersEndedAsync(work);
            var standbyPort = planned.Nodes.Single(n => n.Name == "pg-b").Port;
            var cachePort = planned.Caches!.Single(c => c.Name == "cache-a").Port;
            // Another program takes them meanwhile, as a parallel test or service would.
            using var onStandby = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, standbyPort);
            using var onCache = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, cachePort);
            onStandby.Start();
            onCache.Start();

            var finished = await CliRunner.RunAsync(up);

            Assert.True(finished.ExitCode == 0, finished.ToString());
            var after = LocalEnvironmentState.Load(work);
            Assert.NotEqual(standbyPort, after.Nodes.Single(n => n.Name == "pg-b").Port);
            Assert.NotEqual(cachePort, after.Caches!.Single(c => c.Name == "cache-a").Port);
            Assert.True(await Sql.ScalarAsync<bool>(after.Describe().Standby!.ConnectionString, "SELECT pg_is_in_recovery()"));
            Assert.All(after.Caches!, c => Assert.True(RunningFrom.Redis(c.Port), $"{c.Name} does not run on {c.Port}"));
        }
        finally
        {
            await CliRunner.RunAsync("local", "down", "--workdir", work);
        }
    }

    /// <summary>Starts <paramref name="up"/> and sends it SIGKILL as soon as its state file shows <paramref name="point"/>; returns the state it had reached.</summary>
    static async Task<LocalEnvironmentState> KillWhenAsync(string[] up, string work, string point)
    {
        Func<LocalEnvironmentState, bool> reached = point switch
        {
            "pg-a created" => s => s.Nodes[0].Setup == ServerSetup.Created,
            "pg-b created" => s => s.Nodes[1].Setup == ServerSetup.Created,
            "caches created" => s => s.Caches!.All(c => c.Setup == ServerSetup.Created),
            "monitoring half started" => s => s.Monitoring?.Processes.Count >= 2,
            _ => throw new ArgumentException(point),
        };
        // The point is seen by polling, so up may finish between the poll and the kill (CI saw it once, at
        // "monitoring half started", the last point): then there is nothing unfinished to test, and the
        // environment is taken down and up is killed again, up to three times.
        for (var attempt = 1; ; attempt++)
        {
            var killed = await KillOnceAsync(up, work, point, reached);
            if (killed.Up is not null || attempt == 3) return killed;
            var down = await CliRunner.RunAsync("local", "down", "--workdir", work);
            Assert.True(down.ExitCode == 0, down.ToString());
        }
    }

    static async Task<LocalEnvironmentState> KillOnceAsync(string[] up, string work, string point, Func<LocalEnvironmentState, bool> reached)
    {
        using var process = CliRunner.Start(up);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            LocalEnvironmentState? state = null;
            try { state = LocalEnvironmentState.TryLoad(work); }
            catch (RecoveryException) { } // between the directory and the first state, or mid-rename
            if (state is not null && reached(state))
            {
                process.Kill();
                await process.WaitForExitAsync();
                return LocalEnvironmentState.TryLoad(work)!;
            }
            Assert.False(process.HasExited, $"local up ended (exit {(process.HasExited ? process.ExitCode : 0)}) before '{point}'");
            Assert.True(DateTime.UtcNow < deadline, $"local up did not reach '{point}' in 120 s");
            await Task.Delay(5);
        }
    }
}
