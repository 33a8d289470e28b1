using System.Diagnostics;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>
/// The pgbackrest processes of one setup, found by their exact --config argument (never by name:
/// other environments' pgBackRest processes are not ours). The asynchronous archiver outlives the
/// archive_command that started it; an environment going down waits for it, then ends it.
/// </summary>
public static class PgBackRestProcesses
{
    public static IReadOnlyList<int> Running(string configFile)
    {
        var argument = $"--config={configFile}";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var arguments = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (arguments.Contains(argument) && ProcessTable.IsAlive(pid)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Waits up to <paramref name="grace"/> for them to finish their pushes, then SIGKILLs what is left; returns the ones killed.</summary>
    public static async Task<IReadOnlyList<int>> StopAsync(string configFile, TimeSpan grace, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + grace;
        while (Running(configFile).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100, ct);
        var left = Running(configFile);
        foreach (var pid in left)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        return left;
    }
}
