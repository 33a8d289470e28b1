using AutoVideo.DR.Recovery.Postgres;
using System.Text.Json;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>Who holds the run lock: enough for the refused operator to find the other run.</summary>
public sealed record RunLockHolder(int Pid, DateTimeOffset StartedAt, string Command);

/// <summary>
/// At most one failover or failback at a time per working directory: a lock file created
/// exclusively. A second run is refused naming the holder; a lock left by a process that no
/// longer exists (killed mid-run) is taken over, since that run's journal is what resumes it.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";

    readonly string path;
    readonly RunLockHolder holder;

    RunLock(string path, RunLockHolder holder)
    {
        this.path = path;
        this.holder = holder;
    }

    /// <summary>A stale holder that was replaced, if any (the caller reports it).</summary>
    public RunLockHolder? TookOverFrom { get; private init; }

    public static RunLock Acquire(string directory, string command)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var mine = new RunLockHolder(Environment.ProcessId, DateTimeOffset.UtcNow, command);
        RunLockHolder? stale = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    JsonSerializer.Serialize(stream, mine);
                    stream.Flush(flushToDisk: true);
                }
                return new RunLock(path, mine) { TookOverFrom = stale };
            }
            catch (IOException) when (File.Exists(path))
            {
                var other = Read(path);
                if (other is not null && other.Pid != Environment.ProcessId && ProcessTable.IsAlive(other.Pid))
                    throw new RecoveryException(
                        $"another run holds the lock: '{other.Command}' (pid {other.Pid}, started {other.StartedAt:yyyy-MM-dd HH:mm:ss}Z); wait for it to finish, or see 'autovideo-dr incident status'");
                // Dead holder (or an unreadable, half-written lock): take it over.
                stale = other;
                try { File.Delete(path); } catch (IOException) { }
            }
        }
        throw new RecoveryException($"could not take the run lock {path}; remove it if no autovideo-dr run is active");
    }

    public static RunLockHolder? Read(string path)
    {
        try { return JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    public void Dispose()
    {
        // Only remove the lock if it is still ours (a takeover may have replaced a lock we thought stale).
        if (Read(path) is { } current && current.Pid == holder.Pid && current.StartedAt == holder.StartedAt)
            File.Delete(path);
    }
}
