using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// The journal of one run: a JSON-lines file under the working directory's incidents/ folder,
/// only ever appended to. Each append is one write of a whole line followed by an fsync, so a
/// process killed at any point leaves every earlier line intact and at most a torn last line,
/// which reading ignores. Other processes (e.g. <c>incident update</c>) may append concurrently.
/// </summary>
public sealed class Journal
{
    public const string Extension = ".jsonl";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = RecoveryJson.Resolver,
    };

    public string Path { get; }
    public string RunId => System.IO.Path.GetFileNameWithoutExtension(Path);

    Journal(string path) => Path = path;

    /// <summary>Where the runs of a working directory keep their journals, reports and lock.</summary>
    public static string DirectoryIn(string workDirectory) => System.IO.Path.Combine(System.IO.Path.GetFullPath(workDirectory), "incidents");

    /// <summary>Starts the journal of a new run with its header line.</summary>
    public static Journal Create(string directory, RunHeader header)
    {
        Prepare(directory);
        var journal = new Journal(System.IO.Path.Combine(directory, header.RunId + Extension));
        if (File.Exists(journal.Path)) throw new RecoveryException($"a run journal named {journal.Path} already exists");
        journal.Append(new JournalEntry(JournalKinds.RunStarted, DateTimeOffset.UtcNow, Environment.ProcessId, Run: header));
        return journal;
    }

    public static Journal Open(string path) =>
        File.Exists(path) ? new Journal(path) : throw new RecoveryException($"no run journal at {path}");

    /// <summary>Every run's journal in the directory, oldest first (run ids sort by start time).</summary>
    public static IReadOnlyList<Journal> All(string directory)
    {
        if (File.Exists(directory)) throw NotADirectory(directory);
        try
        {
            return Directory.Exists(directory)
                ? Directory.EnumerateFiles(directory, "*" + Extension).Order(StringComparer.Ordinal).Select(p => new Journal(p)).ToList()
                : [];
        }
        catch (Exception e) when (FileFault.Explain(e, $"cannot read the run journals in {directory}", "run as the user who ran the failover (or as root)") is { } fault)
        {
            throw fault;
        }
    }

    /// <summary>Makes the journals' directory, or says in one line why it cannot be (a file in its place, permissions, a full disk).</summary>
    public static void Prepare(string directory)
    {
        if (File.Exists(directory)) throw NotADirectory(directory);
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (FileFault.Explain(e, $"cannot create the directory of run journals {directory}", "fix its parent's permissions or choose another --workdir") is { } fault)
        {
            throw fault;
        }
    }

    static RecoveryException NotADirectory(string directory) =>
        new($"{directory} is a file, not the directory of run journals; move it aside (runs are journaled there) and run the command again");

    public void Append(JournalEntry entry)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        try
        {
            // One write per line in append mode: concurrent appenders never interleave inside a line.
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.Write(line);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (FileFault.Explain(e, $"cannot write the run journal {Path}",
            FileFault.IsFull(e) ? "free space there and run the same command again (the run resumes from its journal)" : "fix its permissions and run the same command again (the run resumes from its journal)") is { } fault)
        {
            // Nothing is done that the journal does not know of: the step that could not be journaled stops the run.
            throw fault;
        }
    }

    public IReadOnlyList<JournalEntry> Read()
    {
        var entries = new List<JournalEntry>();
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonSerializer.Deserialize<JournalEntry>(line, Json) is { } entry) entries.Add(entry);
            }
            catch (JsonException)
            {
                // A line torn by a crash mid-write: everything before it is whole, so it is ignored.
            }
        }
        return entries;
    }
}
