namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>What the kernel's process table (/proc) says of a process id.</summary>
public static class ProcessTable
{
    /// <summary>
    /// Whether the process runs. A killed process may linger as a zombie where nothing reaps it
    /// (seen in these containers); that is not running, though signal 0 would still reach it.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state != 'Z' && state != 'X';
        }
        catch (IOException) { return false; }
    }

    /// <summary>Every process id the kernel lists now.</summary>
    public static IReadOnlyList<int> All() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!)).ToList();

    /// <summary>The program and arguments a process was started with, or null where it is gone or hidden.</summary>
    public static string[]? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The parent's id, or null where the process is gone.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return null; }
    }
}
