namespace AutoVideo.DR.Recovery.Reports;

public sealed record ReportFiles(string Markdown, string Timeline);

/// <summary>Writes a report as Markdown with its timeline picture (SVG) beside it.</summary>
public static class RecoveryReportWriter
{
    public const string DefaultDirectory = "reports";

    /// <summary>
    /// Fails in one line, before any long work, when <paramref name="directory"/> could not take a
    /// report: it (or the nearest part of its path that exists) is a file or not writable. Creates nothing.
    /// </summary>
    public static void EnsureWritable(string directory)
    {
        var full = Path.GetFullPath(directory);
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new RecoveryException($"the report directory {full} cannot be created: {existing} is a file; choose another with --out");
            existing = Path.GetDirectoryName(existing) ?? throw new RecoveryException($"the report directory {full} has no existing parent; choose another with --out");
        }
        var probe = Path.Combine(existing, $".autovideo-dr-write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecoveryException($"the report directory {full} cannot be written ({existing}: {e.Message}); choose another with --out");
        }
    }

    public static async Task<ReportFiles> WriteAsync(RecoveryReport report, string directory, string baseName, CancellationToken ct)
    {
        if (baseName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || baseName.Contains(".."))
            throw new RecoveryException($"report name '{baseName}' is not a plain file name; accepted: letters, digits, '-', '_'");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecoveryException($"cannot create the report directory {directory}: {e.Message}; choose another with --out");
        }
        var svgName = baseName + "-timeline.svg";
        var files = new ReportFiles(Path.GetFullPath(Path.Combine(directory, baseName + ".md")), Path.GetFullPath(Path.Combine(directory, svgName)));
        await File.WriteAllTextAsync(files.Timeline, TimelineSvg.Render(report), ct);
        await File.WriteAllTextAsync(files.Markdown, ReportMarkdown.Render(report, svgName), ct);
        return files;
    }
}
