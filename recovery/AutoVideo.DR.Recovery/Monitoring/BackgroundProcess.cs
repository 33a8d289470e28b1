using AutoVideo.DR.Recovery.Postgres;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace AutoVideo.DR.Recovery.Monitoring;

/// <summary>One monitoring process as recorded in the environment state: what it is, where it listens, its pid and log.</summary>
public sealed record MonitoredProcess(string Name, MonitoringComponent Component, string Program, int Port, int Pid, string LogFile)
{
    [JsonIgnore] public string Address => $"127.0.0.1:{Port}";

    /// <summary>Whether the recorded pid still runs this program (a reused pid running something else does not count).</summary>
    public bool IsRunning()
    {
        if (!ProcessTable.IsAlive(Pid)) return false;
        try
        {
            var argv0 = File.ReadAllText($"/proc/{Pid}/cmdline").Split('\0')[0];
            return argv0 == Program;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}

/// <summary>
/// Starts a server program that outlives the command that started it (like pg_ctl's servers):
/// in a session of its own, so a Ctrl-C on the CLI does not reach it, with stdin from /dev/null
/// and stdout/stderr into its log file, so it holds no handle of the caller's terminal or pipes.
/// Secrets go through <c>environment</c>, never the arguments (which every user can read in /proc).
/// </summary>
public static class BackgroundProcess
{
    public static MonitoredProcess Start(string name, MonitoringComponent component, string program, int port, IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        // setsid execs sh (the caller's child is no process-group leader, so no fork), and sh execs
        // the program after redirecting: the pid stays the program's.
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var a in new[] { "sh", "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null", "sh", logFile, program }) info.ArgumentList.Add(a);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        try
        {
            using var process = Process.Start(info)!;
            return new MonitoredProcess(name, component, program, port, process.Id, logFile);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RecoveryException($"cannot start {name} ({program}): {e.Message}");
        }
    }

    /// <summary>
    /// SIGTERM, then SIGKILL if it has not exited after <paramref name="grace"/>. Returns whether it was running.
    /// A process this command <paramref name="justStarted"/> is ours by its pid alone (it may not have exec'd the program yet);
    /// a recorded one only while that pid still runs the program (the pid may have been reused).
    /// </summary>
    public static async Task<bool> StopAsync(MonitoredProcess process, TimeSpan grace, CancellationToken ct, bool justStarted = false)
    {
        if (!(justStarted ? ProcessTable.IsAlive(process.Pid) : process.IsRunning())) return false;
        Signal(process.Pid, SigTerm);
        var deadline = DateTime.UtcNow + grace;
        while (ProcessTable.IsAlive(process.Pid) && DateTime.UtcNow < deadline) await Task.Delay(50, ct);
        if (ProcessTable.IsAlive(process.Pid)) Signal(process.Pid, SigKill);
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (ProcessTable.IsAlive(process.Pid) && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        return true;
    }

    /// <summary>The last lines of a process's log, for an error message.</summary>
    public static string LogTail(string logFile, int lines = 3)
    {
        try
        {
            var tail = File.ReadLines(logFile).Where(l => l.Trim().Length > 0).TakeLast(lines).Select(l => l.Trim());
            return string.Join(" | ", tail);
        }
        catch (IOException) { return ""; }
    }

    const int SigTerm = 15;
    const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    static void Signal(int pid, int signal) => Kill(pid, signal);
}
