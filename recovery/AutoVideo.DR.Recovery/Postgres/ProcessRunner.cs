using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>The outcome of a finished program: its exit code and what it printed.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string LastErrorLine =>
        (StandardError + "\n" + StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    /// <summary>
    /// The line that says why: PostgreSQL's programs print "error:" (or the server's FATAL) first and
    /// clean-up notes after it ("removing contents of data directory"), so the first such line, else the last line.
    /// </summary>
    public string ErrorLine =>
        (StandardError + "\n" + StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => l.Contains("error:") || l.Contains("FATAL:")) ?? LastErrorLine;
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
            throw new RecoveryException($"{name} failed (exit {result.ExitCode}): {result.ErrorLine}");
        }
        return result;
    }
}
