using System.Text.Json;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>Who holds the run lock: enough for the refused operator to find the other run.</summary>
public sealed record RunLockHolder(int Pid, DateTimeOffset StartedAt, string Command);

/// <summary>
/// At most one failover or failback at a time per working directory. The lock is the kernel's: an
/// exclusive flock(2) on <c>run.lock</c>, held by an open file for the whole run and released by the
/// kernel when the holder exits however it exits, so two starts can never both win and a killed run
/// leaves nothing to take over by hand. (.NET takes flock for <see cref="FileShare.None"/> on Linux.)
/// Who holds it is written beside it (<c>run.lock.holder</c>, replaced atomically), for messages only.
/// The lock file is never deleted: a process waiting on the old file and another creating a new one
/// would both hold "the" lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";
    public const string HolderFileName = "run.lock.holder";
    // The default options (property names as declared), with compile-time metadata.
    static readonly JsonSerializerOptions Json = new() { TypeInfoResolver = RecoveryJson.Resolver };

    readonly FileStream held;
    readonly string holderPath;
    readonly RunLockHolder holder;

    RunLock(FileStream held, string holderPath, RunLockHolder holder)
    {
        this.held = held;
        this.holderPath = holderPath;
        this.holder = holder;
    }

    /// <summary>A holder that was recorded but whose process is gone (a run that was killed), if any; the caller reports it.</summary>
    public RunLockHolder? TookOverFrom { get; private init; }

    public static RunLock Acquire(string directory, string command)
    {
        Journal.Prepare(directory);
        var path = Path.Combine(directory, FileName);
        var holderPath = Path.Combine(directory, HolderFileName);
        FileStream held;
        try
        {
            held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            var other = Read(holderPath);
            throw new RecoveryException(other is null
                ? $"another run holds the lock {path} (it has not recorded who it is yet); wait for it to finish, or see 'autovideo-dr incident status'"
                : $"another run holds the lock: '{other.Command}' (pid {other.Pid}, started {other.StartedAt:yyyy-MM-dd HH:mm:ss}Z); wait for it to finish, or see 'autovideo-dr incident status'");
        }
        catch (Exception e) when (Unusable(e, path) is { } fault)
        {
            throw fault;
        }
        var stale = Read(holderPath) is { } previous && previous.Pid != Environment.ProcessId && !ProcessTable.IsAlive(previous.Pid) ? previous : null;
        var mine = new RunLockHolder(Environment.ProcessId, DateTimeOffset.UtcNow, command);
        var temporary = $"{holderPath}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(mine, Json));
            File.Move(temporary, holderPath, overwrite: true);
        }
        catch (Exception e) when (Unusable(e, holderPath) is { } fault)
        {
            held.Dispose();
            if (File.Exists(temporary)) File.Delete(temporary);
            throw fault;
        }
        return new RunLock(held, holderPath, mine) { TookOverFrom = stale };
    }

    static RecoveryException? Unusable(Exception e, string path) =>
        FileFault.Explain(e, $"cannot take the run lock {path}", FileFault.IsFull(e) ? "free space there and run the command again" : "run as the user who ran the failover (or as root), or fix the directory's permissions");

    public static RunLockHolder? Read(string holderPath)
    {
        try { return JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(holderPath), Json); }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    public void Dispose()
    {
        // The record goes first, then the kernel lock: nobody ever reads us as holding a lock we released.
        if (Read(holderPath) is { } current && current.Pid == holder.Pid && current.StartedAt == holder.StartedAt)
            File.Delete(holderPath);
        held.Dispose();
    }
}
