using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>The outcome of a finished program: its exit code and what it printed.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>
    /// The line that says why: the last one a PostgreSQL program marks as an error (initdb prints its
    /// FATAL and then "child process exited …" and the clean-up it did), else the last line.
    /// </summary>
    public string LastErrorLine
    {
        get
        {
            var lines = (StandardError + "\n" + StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.LastOrDefault(l => Markers.Any(m => l.Contains(m, StringComparison.Ordinal))) ?? lines.LastOrDefault() ?? "";
        }
    }

    static readonly string[] Markers = ["FATAL:", "PANIC:", "ERROR:", "error:", "No space left on device"];
}

public static class ProcessRunner
{
    /// <summary>Runs a program to completion; a non-zero exit becomes a one-line RecoveryException.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo info, CancellationToken ct, bool allowFailure = false)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RecoveryException($"cannot run '{info.FileName}': {e.Message}");
        }
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var result = new ProcessResult(process.ExitCode, await stdout, await stderr);
        if (result.ExitCode != 0 && !allowFailure)
        {
            var name = info.FileName == "runuser" && info.ArgumentList.Count > 3 ? Path.GetFileName(info.ArgumentList[3]) : Path.GetFileName(info.FileName);
            throw new RecoveryException($"{name} failed (exit {result.ExitCode}): {result.LastErrorLine}");
        }
        return result;
    }
}
