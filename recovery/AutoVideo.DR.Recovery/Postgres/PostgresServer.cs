using System.Diagnostics;
using Npgsql;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>
/// One PostgreSQL server on loopback: its data directory, port and log, and the pg_ctl calls that
/// start, stop and kill it. It knows nothing of replication roles; <see cref="Local.LocalEnvironment"/> does.
/// </summary>
public sealed class PostgresServer(PostgresInstallation installation, ServerAccount account, string dataDirectory, int port, string logFile)
{
    public const string Host = "127.0.0.1";
    public const string Superuser = "postgres";

    public string DataDirectory { get; } = dataDirectory;
    public int Port { get; } = port;
    public string LogFile { get; } = logFile;

    public string ConnectionString(string database) => ConnectionString(Port, database);

    /// <summary>How the recovery side reaches a local server: loopback, the superuser, no pooling, short timeouts.</summary>
    public static string ConnectionString(int port, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = port, Username = Superuser, Database = database,
            Timeout = 3, CommandTimeout = 30, Pooling = false,
        }.ConnectionString;

    public Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, CancellationToken ct, bool allowFailure = false) =>
        ProcessRunner.RunAsync(account.StartInfo(installation.Program(program), arguments), ct, allowFailure);

    public async Task StartAsync(CancellationToken ct)
    {
        // Right after a postmaster is killed its backends are still exiting (they notice its death on their
        // next wait) and hold its shared memory: PostgreSQL then refuses to start ("pre-existing shared
        // memory block ... is still in use"). That clears within moments, so the start is tried again for 10 s.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            ClearStaleLock();
            var result = await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port}", "start"], ct, allowFailure: true);
            if (result.ExitCode == 0) return;
            var problem = LastLogProblem();
            if (problem?.Contains("pre-existing shared memory block", StringComparison.Ordinal) != true || DateTime.UtcNow >= deadline)
                throw new RecoveryException($"PostgreSQL on port {Port} did not start: {problem ?? result.LastErrorLine} (log: {LogFile})");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>The last FATAL, PANIC or ERROR line of the server log: usually why it stopped.</summary>
    public string? LastLogProblem()
    {
        try
        {
            return File.ReadLines(LogFile).LastOrDefault(l => l.Contains("FATAL:") || l.Contains("PANIC:") || l.Contains("ERROR:"))?.Trim();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Clean shutdown (checkpoint first); the mode 'immediate' skips it.</summary>
    public async Task StopAsync(CancellationToken ct, string mode = "fast")
    {
        if (!IsRunning()) return;
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop"], ct, allowFailure: true);
        if (IsRunning()) Kill();
    }

    /// <summary>
    /// SIGKILL to the postmaster, the disaster the drills inject by default; returns once the kernel
    /// has it gone, so what runs next never sees a server that is dying but not yet dead.
    /// </summary>
    public int? Kill()
    {
        var pid = PostmasterPid();
        if (pid is null || !ProcessTable.IsAlive(pid.Value)) return null;
        using var process = Process.GetProcessById(pid.Value);
        process.Kill();
        SpinWait.SpinUntil(() => !ProcessTable.IsAlive(pid.Value), TimeSpan.FromSeconds(5));
        return pid;
    }

    /// <summary>
    /// Kills the postmaster and every backend it started, and confirms they are gone. A backend in a
    /// transaction can still commit after its postmaster is gone, and a hung (stopped) postmaster
    /// ignores pg_ctl: fencing must take the whole server down at once. The postmaster is stopped
    /// (SIGSTOP) before its children are listed, so it cannot start a new backend between the listing
    /// and the kill; then all of them get SIGKILL (which a stopped process receives too).
    /// </summary>
    public IReadOnlyList<int> KillServerAndBackends()
    {
        var pid = PostmasterPid();
        if (pid is null || !ProcessTable.IsAlive(pid.Value)) return [];
        Signal(pid.Value, "STOP");
        var doomed = new List<int> { pid.Value };
        doomed.AddRange(ChildrenOf(pid.Value));
        foreach (var victim in doomed) Signal(victim, "KILL");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (doomed.Any(ProcessTable.IsAlive))
        {
            if (DateTime.UtcNow > deadline)
                throw new RecoveryException($"PostgreSQL on port {Port} still has processes {string.Join(", ", doomed.Where(ProcessTable.IsAlive))} 10 s after SIGKILL; it cannot be fenced: stop them by hand (kill -9) and run the same command again");
            Thread.Sleep(10);
        }
        return doomed;
    }

    /// <summary>SIGSTOP to the postmaster: a hung server whose open sessions go on running.</summary>
    public int? Freeze()
    {
        var pid = PostmasterPid();
        if (pid is null || !ProcessTable.IsAlive(pid.Value)) return null;
        Signal(pid.Value, "STOP");
        return pid;
    }

    static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!))
            .Where(pid => ProcessTable.ParentOf(pid) == parent)
            .ToList();

    static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, pid.ToString() }, RedirectStandardError = true, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public int? PostmasterPid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var first = File.ReadLines(pidFile).FirstOrDefault();
            return int.TryParse(first, out var pid) ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Removes the postmaster.pid of a killed server whose process is a zombie not yet reaped:
    /// PostgreSQL counts a zombie as alive and would refuse to start ("lock file already exists").
    /// The same holds for the lock of its Unix socket, whose directory postmaster.pid names (line 5).
    /// </summary>
    public void ClearStaleLock()
    {
        if (PostmasterPid() is not { } pid || IsRunning() || !File.Exists($"/proc/{pid}/stat")) return;
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length >= 5 && lines[4].Trim() is { Length: > 0 } socketDirectory && lines[3].Trim() is { Length: > 0 } port)
        {
            var socketLock = Path.Combine(socketDirectory, $".s.PGSQL.{port}.lock");
            if (File.Exists(socketLock) && File.ReadLines(socketLock).FirstOrDefault()?.Trim() == pid.ToString())
                File.Delete(socketLock);
        }
        File.Delete(pidFile);
    }

    public bool IsRunning() => PostmasterPid() is { } pid && ProcessTable.IsAlive(pid);
}
