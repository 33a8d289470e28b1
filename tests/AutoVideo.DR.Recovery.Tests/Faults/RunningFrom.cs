using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Faults;

/// <summary>
/// What really runs from a working directory, read from the kernel's process table independently of
/// the tool's own bookkeeping: processes whose command line names a path inside it (PostgreSQL's
/// postmaster, the monitoring programs, initdb, pg_basebackup, pg_ctl), and Redis servers on given
/// ports (a daemonized redis-server shows only its address).
/// </summary>
public static class RunningFrom
{
    public sealed record Found(int Pid, string Program, string CommandLine);

    public static IReadOnlyList<Found> Directory(string workDirectory, IEnumerable<int>? redisPorts = null)
    {
        var inside = workDirectory.TrimEnd('/') + "/";
        var redis = (redisPorts ?? []).Select(p => $"127.0.0.1:{p}").ToHashSet();
        var found = new List<Found>();
        foreach (var pid in ProcessTable.All())
        {
            if (pid == Environment.ProcessId || !ProcessTable.IsAlive(pid) || ProcessTable.CommandLine(pid) is not [var program, ..] argv) continue;
            var line = string.Join(' ', argv);
            if (argv.Any(a => a.Contains(inside, StringComparison.Ordinal) || a == workDirectory) || (IsRedis(line) && Words(line).Any(redis.Contains)))
                found.Add(new Found(pid, Path.GetFileName(program), line));
        }
        return found;
    }

    /// <summary>Whether a PostgreSQL server runs on <paramref name="dataDirectory"/> (its postmaster names it with -D).</summary>
    public static bool Postgres(string dataDirectory) =>
        Directory(Path.GetDirectoryName(dataDirectory)!).Any(f => f.Program == "postgres" && f.CommandLine.Contains($"-D {dataDirectory} ", StringComparison.Ordinal));

    /// <summary>Whether a redis-server serves <paramref name="port"/> on loopback.</summary>
    public static bool Redis(int port) =>
        ProcessTable.All().Any(pid => ProcessTable.IsAlive(pid) && ProcessTable.CommandLine(pid) is { } argv
            && string.Join(' ', argv) is var line && IsRedis(line) && Words(line).Contains($"127.0.0.1:{port}"));

    // Redis rewrites its title into one string ("/usr/bin/redis-server 127.0.0.1:6379"), so it is read as words.
    static bool IsRedis(string commandLine) => Words(commandLine).FirstOrDefault() is { } first && Path.GetFileName(first) == "redis-server";

    static string[] Words(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Waits until the short-lived helpers a killed command left (initdb, pg_basebackup, pg_ctl, runuser) have ended, as they do on their own.</summary>
    public static async Task HelpersEndedAsync(string workDirectory)
    {
        string[] helpers = ["initdb", "pg_basebackup", "pg_ctl", "runuser", "sh"];
        await Sql.EventuallyAsync(() => Task.FromResult(!Directory(workDirectory).Any(f => helpers.Contains(f.Program) || f.CommandLine.Contains("--boot", StringComparison.Ordinal))),
            $"the helpers of the killed command in {workDirectory} ending", seconds: 90);
    }
}
