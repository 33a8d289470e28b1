using System.Text.Json;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.PointInTime;

/// <summary>The database server pgBackRest works against: its data directory and port (the socket is the setup's).</summary>
public sealed record PgNode(string DataDirectory, int Port);

/// <summary>The outcome of <c>pgbackrest verify</c> for one repository: its status line and the problems it listed.</summary>
public sealed record RepositoryVerification(int Repository, string Location, bool Passed, IReadOnlyList<string> Problems, string Output);

/// <summary>
/// Drives Debian's <c>pgbackrest</c> for one setup: every call is
/// <c>pgbackrest --config=&lt;the setup's file&gt; --stanza=&lt;stanza&gt; [node options] command</c>,
/// run as the server account (the repository and spool are its), with the cipher passphrase only in
/// the configuration file or the environment. Every failure becomes one line naming what went wrong
/// (see <see cref="Problem"/>).
/// </summary>
public sealed partial class PgBackRest(PgBackRestSetup setup, ServerAccount account, ILogger logger)
{
    public const string ProgramVariable = "AUTOVIDEO_DR_PGBACKREST";

    public PgBackRestSetup Setup => setup;

    /// <summary>The pgbackrest executable: $AUTOVIDEO_DR_PGBACKREST, else the first on PATH.</summary>
    public static string Program()
    {
        if (Environment.GetEnvironmentVariable(ProgramVariable) is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : throw new RecoveryException($"{ProgramVariable} names {configured}, which does not exist; install pgbackrest or fix the variable");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, "pgbackrest");
            if (File.Exists(candidate)) return candidate;
        }
        throw new RecoveryException("pgbackrest not found on PATH; install the Debian package pgbackrest (scripts/install-prerequisites.sh does) or set " + ProgramVariable);
    }

    /// <summary>
    /// PostgreSQL's archive_command: push asynchronously into every repository of the setup in
    /// <paramref name="directory"/>. Each data directory has a spool and lock of its own, so that two
    /// servers archiving at once (a restored one about to replace a node, the node itself) never wait
    /// on each other's background archiver.
    /// </summary>
    public static string ArchivePushCommand(string directory, string dataDirectory)
    {
        var node = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataDirectory));
        return $"{Quote(Program())} --config={Quote(PgBackRestSetup.ConfigFileIn(directory))} --stanza={PgBackRestSetup.DefaultStanza} --pg1-path={Quote(dataDirectory)} " +
               $"--spool-path={Quote(Path.Combine(directory, "spool", node))} --lock-path={Quote(Path.Combine(directory, "lock", node))} archive-push \"%p\"";
    }

    /// <summary>PostgreSQL's restore_command: fetch from the first repository that has the segment, synchronously (a standby asks for one at a time).</summary>
    public static string ArchiveGetCommand(string directory, string dataDirectory) =>
        $"{Quote(Program())} --config={Quote(PgBackRestSetup.ConfigFileIn(directory))} --stanza={PgBackRestSetup.DefaultStanza} --pg1-path={Quote(dataDirectory)} --no-archive-async archive-get %f \"%p\"";

    static string Quote(string path) =>
        path.Contains('"') || path.Contains('\'') ? throw new RecoveryException($"the path {path} contains a quote; accepted: a working directory without quotes") : $"\"{path}\"";

    static IEnumerable<string> NodeArguments(PgNode node) => [$"--pg1-path={node.DataDirectory}", $"--pg1-port={node.Port}"];

    public async Task StanzaCreateAsync(PgNode node, CancellationToken ct) =>
        await RunAsync("stanza-create", [.. NodeArguments(node), "stanza-create"], null, ct);

    /// <summary>Checks that the server archives into every repository (it forces a WAL switch and waits for the segment).</summary>
    public async Task CheckAsync(PgNode node, CancellationToken ct) =>
        await RunAsync("check", [.. NodeArguments(node), "check"], null, ct);

    /// <summary>Takes a backup of <paramref name="node"/> into repository <paramref name="repository"/> and returns it as info reports it.</summary>
    public async Task<PhysicalBackup> BackupAsync(PgNode node, PhysicalBackupType type, int repository, CancellationToken ct)
    {
        var before = (await InfoAsync(ct)).Backups.Where(b => b.Repository == repository).Select(b => b.Label).ToHashSet();
        await RunAsync("backup", [.. NodeArguments(node), $"--repo={repository}", $"--type={type.ToString().ToLowerInvariant()}", "backup"], repository, ct);
        return (await InfoAsync(ct)).Backups.Where(b => b.Repository == repository && !before.Contains(b.Label)).OrderBy(b => b.Stopped).LastOrDefault()
            ?? throw new RecoveryException($"pgbackrest backup into repo{repository} reported success but info lists no new backup there");
    }

    public async Task<PgBackRestInfo> InfoAsync(CancellationToken ct)
    {
        var result = await RunAsync("info", ["--output=json", "info"], null, ct);
        return PgBackRestInfo.Parse(setup.Stanza, result.StandardOutput);
    }

    /// <summary>
    /// pgBackRest's own verify of one repository: every backup file and WAL segment re-read and its
    /// checksum compared. pgBackRest 2.45 exits 0 even when it finds damage, so the text is read.
    /// </summary>
    public async Task<RepositoryVerification> VerifyAsync(int repository, CancellationToken ct)
    {
        var result = await RunAsync("verify", [$"--repo={repository}", "--output=text", "--verbose", "verify"], repository, ct, allowFailure: true);
        var text = result.StandardOutput;
        var problems = new List<string>();
        string? current = null;
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            // "archiveId: 15-1, total WAL checked: …" or "backup: <label>, status: …", then its counts on the next line.
            if (line.StartsWith("archiveId:") || line.StartsWith("backup:")) current = line.Split(',')[0];
            var counts = CountPattern().Matches(line).Where(m => m.Groups[2].Value != "0").Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}").ToList();
            if (counts.Count > 0) problems.Add($"{current}: {string.Join(", ", counts)}");
        }
        if (result.ExitCode != 0) problems.Add(Problem("verify", setup.Repository(repository), result));
        else if (!text.Contains("status: ok") && problems.Count == 0) problems.Add($"status not ok: {text.Split('\n').FirstOrDefault(l => l.Contains("status:"))?.Trim()}");
        var passed = problems.Count == 0;
        return new RepositoryVerification(repository, setup.Repository(repository).Describe(), passed, problems, text.Trim());
    }

    [GeneratedRegex(@"(missing|checksum invalid|size invalid|other): (\d+)")]
    private static partial Regex CountPattern();

    /// <summary>Restores backup <paramref name="set"/> of repository <paramref name="repository"/> into an empty <paramref name="dataDirectory"/>, to stop at <paramref name="target"/>.</summary>
    public async Task RestoreAsync(string dataDirectory, int repository, string set, RecoveryTarget target, CancellationToken ct) =>
        await RunAsync("restore", [$"--pg1-path={dataDirectory}", $"--repo={repository}", $"--set={set}", .. target.RestoreArguments(), "restore"], repository, ct);

    /// <summary>The WAL segments repository <paramref name="repository"/> holds, with when each was pushed.</summary>
    public async Task<IReadOnlyList<ArchivedSegment>> ArchivedSegmentsAsync(int repository, CancellationToken ct)
    {
        var result = await RunAsync("repo-ls", [$"--repo={repository}", "--recurse", "--output=json", "repo-ls", $"archive/{setup.Stanza}"], repository, ct);
        var segments = new List<ArchivedSegment>();
        try
        {
            using var document = JsonDocument.Parse(PgBackRestInfo.Sanitize(result.StandardOutput));
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Value.GetProperty("type").GetString() != "file") continue;
                var parts = entry.Name.Split('/');
                if (parts.Length != 3 || ArchiveContinuity.SegmentOf(parts[2]) is not { } segment) continue;
                segments.Add(new ArchivedSegment(repository, parts[0], segment, entry.Value.GetProperty("size").GetInt64(),
                    DateTimeOffset.FromUnixTimeSeconds(entry.Value.GetProperty("time").GetInt64())));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new RecoveryException($"pgbackrest repo-ls of repo{repository} returned output this tool cannot read ({e.Message.Split('\n')[0]})");
        }
        return segments.OrderBy(s => s.Segment).ToList();
    }

    /// <summary>
    /// Fetches (decrypts, decompresses) one WAL segment of one repository into <paramref name="destination"/>,
    /// a path the server account can write. Synchronous: the asynchronous queue belongs to a recovering server.
    /// </summary>
    public async Task ArchiveGetAsync(int repository, PgNode node, WalSegment segment, string destination, CancellationToken ct) =>
        await RunAsync("archive-get", [$"--pg1-path={node.DataDirectory}", $"--repo={repository}", "--no-archive-async", "archive-get", segment.Name, destination], repository, ct);

    async Task<ProcessResult> RunAsync(string command, IReadOnlyList<string> arguments, int? repository, CancellationToken ct, bool allowFailure = false)
    {
        var info = account.StartInfo(Program(), [$"--config={setup.ConfigFile}", $"--stanza={setup.Stanza}", .. arguments]);
        foreach (var (key, value) in setup.PassphraseOverride()) info.Environment[key] = value;
        logger.LogDebug("pgbackrest {Command} {Arguments}", command, string.Join(' ', arguments));
        var result = await ProcessRunner.RunAsync(info, ct, allowFailure: true);
        if (result.ExitCode != 0 && !allowFailure)
            throw new RecoveryException(Problem(command, repository is { } n ? setup.Repository(n) : null, result));
        return result;
    }

    /// <summary>
    /// pgBackRest's error ("ERROR: [code]: message" and indented continuation lines) as one line that
    /// names the repository and says what is wrong in the operator's words where the cause is known.
    /// </summary>
    public static string Problem(string command, PgBackRestRepository? repository, ProcessResult result)
    {
        var output = result.StandardError + "\n" + result.StandardOutput;
        var message = ErrorMessage(output) ?? result.LastErrorLine;
        var where = repository is null ? "the repository" : $"repo{repository.Number} ({repository.Describe()})";
        // The error can be a consequence ("no backup set found") of a cause pgBackRest only warned about.
        var kind = Classify(message) is var direct and not PgBackRestFailure.Other ? direct : Classify(output);
        return kind switch
        {
            PgBackRestFailure.Unreachable => $"{where} is unreachable: {FirstLine(message)}",
            PgBackRestFailure.WrongPassphrase => $"{where} cannot be decrypted with this cipher passphrase (wrong passphrase, or not this environment's repository): {FirstLine(message)}",
            PgBackRestFailure.Damaged => $"{where} holds a damaged file: {Damage(message)}",
            PgBackRestFailure.MissingWal => $"{where} is missing WAL the {command} needs: {FirstLine(message)}",
            _ => $"pgbackrest {command} failed{(repository is null ? "" : $" on {where}")}: {FirstLine(message)}",
        };
    }

    internal static PgBackRestFailure Classify(string message) => message switch
    {
        _ when message.Contains("TLS error") || message.Contains("HostConnectError") || message.Contains("unable to get address")
            || message.Contains("Connection refused") || message.Contains("ServiceError") || message.Contains("unable to connect") => PgBackRestFailure.Unreachable,
        // An info file that cannot be read after decryption: the passphrase is wrong (both copies would have to be damaged otherwise).
        _ when message.Contains("unable to load info file") && (message.Contains("FormatError") || message.Contains("CryptoError")) => PgBackRestFailure.WrongPassphrase,
        // A backup file or segment that does not decrypt, decompress or match its checksum once the info files did.
        _ when message.Contains("does not match expected checksum") || message.Contains("ChecksumError") || message.Contains("CryptoError")
            || message.Contains("Data corruption") || message.Contains("cipher header invalid") || Regex.IsMatch(message, @"\b(zst|gz|lz4|bz2) error") => PgBackRestFailure.Damaged,
        _ when message.Contains("unable to find") && message.Contains("WAL") => PgBackRestFailure.MissingWal,
        _ => PgBackRestFailure.Other,
    };

    /// <summary>The first ERROR (or, failing that, WARN) of pgBackRest's output with its continuation lines.</summary>
    internal static string? ErrorMessage(string output)
    {
        var lines = output.Split('\n');
        foreach (var level in new[] { "ERROR:", "WARN:" })
        {
            var start = Array.FindIndex(lines, l => l.Contains(level));
            if (start < 0) continue;
            var text = lines[start][(lines[start].IndexOf(level, StringComparison.Ordinal) + level.Length)..].Trim();
            text = Regex.Replace(text, @"^\[\d+\]:\s*", "");
            var continuation = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    ") && !l.Contains("ERROR:") && !l.Contains("WARN:") && !l.TrimStart().StartsWith("options:"))
                .Select(l => l.Trim());
            return string.Join(" ", new[] { text }.Concat(continuation));
        }
        return null;
    }

    static string FirstLine(string message)
    {
        // Undecryptable bytes copied into the message say nothing to the operator.
        var clean = Regex.Replace(message, @"key/value found outside of section at line 1: .*?(?=FormatError|HINT|$)", "key/value found outside of section (undecryptable) ");
        clean = Regex.Replace(clean, @"[^\u0020-\u007E]", "");
        clean = Regex.Replace(clean, @"\s+", " ").Trim();
        return clean.Length > 300 ? clean[..300] + "…" : clean;
    }

    static string Damage(string message)
    {
        var file = Regex.Match(message, @"error restoring '([^']+)'");
        var checksum = Regex.Match(message, @"actual checksum '([0-9a-f]+)' does not match expected checksum '([0-9a-f]+)'");
        return file.Success && checksum.Success
            ? $"{file.Groups[1].Value} does not match its checksum in the backup manifest (SHA-1 {checksum.Groups[1].Value[..12]}…, expected {checksum.Groups[2].Value[..12]}…)"
            : FirstLine(message);
    }
}

/// <summary>What a pgBackRest error means for the operator.</summary>
public enum PgBackRestFailure
{
    Other,
    Unreachable,
    WrongPassphrase,
    Damaged,
    MissingWal,
}
