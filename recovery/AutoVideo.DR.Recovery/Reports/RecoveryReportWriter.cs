namespace AutoVideo.DR.Recovery.Reports;

public sealed record ReportFiles(string Markdown, string Timeline);

/// <summary>Writes a report as Markdown with its timeline picture (SVG) beside it.</summary>
public static class RecoveryReportWriter
{
    public const string DefaultDirectory = "reports";

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
