using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>
/// Runs the real autovideo-dr program (built beside the tests) in its own process, so exit codes,
/// stdout/stderr and environment variables are exactly what an operator gets.
/// </summary>
public static class CliRunner
{
    static readonly string Program = Path.Combine(AppContext.BaseDirectory, "autovideo-dr.dll");

    /// <summary>The build output copied under /tmp, which another user can read wherever the checkout lives.</summary>
    static readonly Lazy<string> ReadableCopy = new(() =>
    {
        var copy = Path.Combine("/tmp", "avdr-cli-" + Environment.ProcessId);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(copy, recursive: true); } catch (IOException) { }
        };
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        return Path.Combine(copy, "autovideo-dr.dll");
    });

    /// <param name="launcher">A command the program runs under (e.g. unshare -m sh -c '…; exec "$@"'), given "dotnet autovideo-dr.dll args…" as its last arguments.</param>
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? asUser = null, string? workingDirectory = null, IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo(launcher?[0] ?? (asUser is null ? "dotnet" : "runuser")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        if (launcher is not null)
        {
            if (asUser is not null) throw new ArgumentException("a launcher and another user cannot be combined", nameof(launcher));
            foreach (var a in launcher.Skip(1)) info.ArgumentList.Add(a);
            info.ArgumentList.Add("dotnet");
        }
        if (asUser is not null)
        {
            // As another (non-root) user: runuser, with a HOME that user can write for dotnet's first-run files.
            foreach (var a in new[] { "-u", asUser, "--", "env", "HOME=/tmp", "dotnet" }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(asUser is null ? Program : ReadableCopy.Value);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try { await process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"autovideo-dr {string.Join(' ', args)} did not finish in time");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, null);

    /// <summary>Starts the program without waiting, for a test that kills it (SIGKILL) at a moment of its choosing; its output is discarded.</summary>
    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Program);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
