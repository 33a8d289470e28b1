using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>
/// The operating-system account the PostgreSQL server runs under. The server refuses to run as
/// root, so as root every server program runs as the <c>postgres</c> user through runuser and
/// the data directories are handed to that user; as anyone else it runs as that user.
/// </summary>
public sealed class ServerAccount
{
    public const string PostgresUser = "postgres";

    public bool IsRoot { get; }

    ServerAccount(bool isRoot) => IsRoot = isRoot;

    public static ServerAccount Current() => new(Environment.UserName == "root" || GetUid() == 0);

    static uint GetUid()
    {
        try { return uint.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]); }
        catch (Exception) { return uint.MaxValue; }
    }

    /// <summary>A start info for a server program under this account.</summary>
    public ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (IsRoot)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(PostgresUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        else
        {
            info.FileName = program;
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>
    /// Makes a directory (if needed) and hands it, with everything in it, to the server account.
    /// Data directories are private (0700): the server refuses to start on anything wider.
    /// </summary>
    public async Task GiveToServerAsync(string path, CancellationToken ct, bool isDataDirectory = false)
    {
        Directory.CreateDirectory(path);
        if (isDataDirectory) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!IsRoot) return;
        await ProcessRunner.RunAsync(new ProcessStartInfo("chown") { ArgumentList = { "-R", $"{PostgresUser}:{PostgresUser}", path } }, ct);
    }

    /// <summary>
    /// Fails with a clear message when the server account cannot enter <paramref name="path"/>,
    /// e.g. a working directory under /root, which the postgres user cannot reach.
    /// </summary>
    public async Task EnsureServerCanEnterAsync(string path, CancellationToken ct)
    {
        if (!IsRoot) return;
        var result = await ProcessRunner.RunAsync(StartInfo("test", ["-x", path]), ct, allowFailure: true);
        if (result.ExitCode != 0)
            throw new RecoveryException($"the {PostgresUser} user cannot enter {path} (a parent directory is closed to it); choose a working directory it can reach with --workdir, e.g. /tmp/autovideo-dr");
    }
}
