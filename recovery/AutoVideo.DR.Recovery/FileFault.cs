namespace AutoVideo.DR.Recovery;

/// <summary>
/// A file-system failure in an operator's words: permission denied, a full or read-only disk, a
/// file where a directory belongs. The layer that knows which file it was (the metrics file, the
/// working directory, the run journal) puts these words into its one line with what to do.
/// </summary>
public static class FileFault
{
    // errno values .NET reports as IOException.HResult on Linux.
    public const int FileExists = 17, NotADirectory = 20, IsADirectory = 21, NoSpace = 28, ReadOnlyFileSystem = 30, QuotaExceeded = 122;

    /// <summary>A few words for <paramref name="e"/>, or null when it is no file-system failure (a bug passes through as itself).</summary>
    public static string? Describe(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        IOException { HResult: NoSpace } => "no space left on device (the disk is full)",
        IOException { HResult: QuotaExceeded } => "disk quota exceeded (the disk is full for this user)",
        IOException { HResult: ReadOnlyFileSystem } => "it is on a read-only file system",
        IOException { HResult: IsADirectory } => "it is a directory, not a file",
        IOException { HResult: NotADirectory } => "a part of the path is a file, not a directory",
        DirectoryNotFoundException => "a directory on the path does not exist",
        // .NET's own words name the path in the way ("The file '/x' already exists").
        IOException { HResult: FileExists } io => $"{io.Message.TrimEnd('.')}, where a directory is needed",
        IOException io => io.Message.ReplaceLineEndings(" ").TrimEnd('.'),
        _ => null,
    };

    /// <summary>
    /// Whether this process may create and remove entries in <paramref name="directory"/> (access(2)
    /// with W_OK and X_OK): asked before work that would otherwise stop half-way for want of it.
    /// </summary>
    public static bool MayChange(string directory) => Access(directory, WriteOk | ExecuteOk) == 0;

    const int WriteOk = 2, ExecuteOk = 1;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "access", SetLastError = true)]
    static extern int Access(string path, int mode);

    /// <summary>Whether <paramref name="e"/> is the disk being full: the advice is then to free space, not to fix permissions.</summary>
    public static bool IsFull(Exception e) => e is IOException { HResult: NoSpace or QuotaExceeded };

    /// <summary>"<paramref name="what"/>: &lt;fault&gt;; &lt;advice&gt;" as an operator error, or null when <paramref name="e"/> is no file-system failure.</summary>
    public static RecoveryException? Explain(Exception e, string what, string advice) =>
        Describe(e) is { } fault ? new RecoveryException($"{what}: {fault}; {advice}", e) : null;
}
