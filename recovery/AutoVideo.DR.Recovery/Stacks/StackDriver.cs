using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// Drives the Pulumi CLI for one project: select a stack, read and set its config (secrets
/// through stdin, never the command line), preview and update it with the JSON event output turned
/// into progress lines and a summary, and read its outputs. Every failure is one RecoveryException
/// line (see <see cref="StackError"/>).
/// </summary>
public sealed class StackDriver(PulumiExecutable pulumi, string? projectDirectory, ILogger<StackDriver> logger)
{
    public const string ConfigNamespace = "autovideo-dr";
    /// <summary>The config keys the runbooks change (infra/settings.ts): the stack's role and its peer.</summary>
    public const string RoleKey = "role";
    public const string PeerStackKey = "peerStack";

    public static string Key(string key) => key.Contains(':') ? key : $"{ConfigNamespace}:{key}";

    public async Task SelectAsync(string stack, CancellationToken ct) =>
        await RunAsync(stack, "stack select", ["stack", "select", stack, "--non-interactive"], null, null, ct);

    /// <summary>The config value, or null when the key is not set.</summary>
    public async Task<string?> GetConfigAsync(string stack, string key, CancellationToken ct)
    {
        var result = await RunAsync(stack, "config get", ["config", "get", Key(key), "--stack", stack], null, null, ct, allowFailure: true);
        if (result.ExitCode == 0) return result.StandardOutput.TrimEnd('\n', '\r');
        // pulumi: "configuration key 'autovideo-dr:x' not found for stack 'dr'"
        if (result.StandardError.Contains("configuration key", StringComparison.OrdinalIgnoreCase) && result.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase))
            return null;
        throw StackError.From(stack, "config get", result.ExitCode, result.StandardError, []);
    }

    public async Task SetConfigAsync(string stack, string key, string value, bool secret, CancellationToken ct) =>
        // The value goes through stdin: a secret on the command line would show in the process list.
        await RunAsync(stack, "config set", ["config", "set", Key(key), "--stack", stack, secret ? "--secret" : "--plaintext", "--non-interactive"], value, null, ct);

    public async Task<UpdateSummary> PreviewAsync(string stack, Action<string> progress, CancellationToken ct)
    {
        var events = new EngineEvents(stack, "preview", progress);
        var result = await RunAsync(stack, "preview", ["preview", "--json", "--stack", stack, "--non-interactive"], null, null, ct, allowFailure: true);
        events.OnOutput(result.StandardOutput);
        if (result.ExitCode != 0) throw StackError.From(stack, "preview", result.ExitCode, result.StandardError, events.Summary.Errors);
        return events.Summary;
    }

    /// <summary>
    /// Updates the stack. With <paramref name="continueOnError"/> pulumi goes on past failed
    /// resources (those in a region that is down) and the summary lists them instead of throwing:
    /// the caller's check of the outputs decides whether what mattered took effect.
    /// </summary>
    public async Task<UpdateSummary> UpAsync(string stack, Action<string> progress, CancellationToken ct, bool continueOnError = false)
    {
        var events = new EngineEvents(stack, "up", progress);
        string[] arguments = ["up", "--yes", "--json", "--stack", stack, "--non-interactive", "--skip-preview", .. continueOnError ? new[] { "--continue-on-error" } : []];
        var result = await RunAsync(stack, "up", arguments, null, events.OnLine, ct, allowFailure: true);
        var summary = events.Summary;
        // An update that ran (it reported changes) and failed on some resources is partial, not failed,
        // when asked to continue; a missing or locked stack fails before any engine event.
        if (continueOnError && summary.ResourceChanges.Count > 0) return summary;
        if (result.ExitCode != 0 || summary.FailedResources.Count > 0)
            throw StackError.From(stack, "up", result.ExitCode == 0 ? 255 : result.ExitCode, result.StandardError,
                summary.Errors.Concat(summary.FailedResources.Select(r => $"{r} failed")).ToList());
        return summary;
    }

    public async Task<StackOutputs> OutputsAsync(string stack, CancellationToken ct)
    {
        var result = await RunAsync(stack, "stack output", ["stack", "output", "--json", "--show-secrets", "--stack", stack], null, null, ct);
        return StackOutputs.Parse(stack, result.StandardOutput);
    }

    /// <summary>
    /// The replication source the stack's state records for its RDS instance (<c>pulumi stack export</c>):
    /// "" once promoted, null when the state has no instance. Unlike the role output, which follows
    /// config even when the update failed, this is what the provider last applied.
    /// </summary>
    public async Task<string?> DatabaseReplicationSourceAsync(string stack, CancellationToken ct) =>
        await DatabaseStateAsync(stack, ct) is not { } outputs ? null
            : outputs.TryGetProperty("replicateSourceDb", out var source) && source.ValueKind == System.Text.Json.JsonValueKind.String ? source.GetString() : "";

    /// <summary>
    /// The point-in-time restore the stack's state records for its RDS instance (the provider's
    /// restoreToPointInTime outputs: restoreTime or useLatestRestorableTime, and the source), or null
    /// when the instance was not created by one.
    /// </summary>
    public async Task<System.Text.Json.JsonElement?> DatabaseRestoreAsync(string stack, CancellationToken ct) =>
        await DatabaseStateAsync(stack, ct) is { } outputs && outputs.TryGetProperty("restoreToPointInTime", out var restore) && restore.ValueKind == System.Text.Json.JsonValueKind.Object
            ? restore.Clone()
            : null;

    /// <summary>The outputs of the stack's RDS instance in its state (<c>pulumi stack export</c>): what the provider last applied.</summary>
    async Task<System.Text.Json.JsonElement?> DatabaseStateAsync(string stack, CancellationToken ct)
    {
        var export = await ExportAsync(stack, ct);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(export);
            if (!document.RootElement.TryGetProperty("deployment", out var deployment) || !deployment.TryGetProperty("resources", out var resources)) return null;
            foreach (var resource in resources.EnumerateArray())
            {
                if (!resource.TryGetProperty("type", out var type) || type.GetString() != "aws:rds/instance:Instance") continue;
                // A replaced instance kept for deletion lingers in the state marked for deletion: the live one is the other.
                if (resource.TryGetProperty("delete", out var pending) && pending.ValueKind == System.Text.Json.JsonValueKind.True) continue;
                return resource.TryGetProperty("outputs", out var outputs) ? outputs.Clone() : null;
            }
            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new RecoveryException($"pulumi stack export of '{stack}' is not JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The stack's state as <c>pulumi stack export</c> prints it. Never with --show-secrets: secret values
    /// stay ciphertext of the stack's secrets provider.
    /// </summary>
    public async Task<string> ExportAsync(string stack, CancellationToken ct) =>
        (await RunAsync(stack, "stack export", ["stack", "export", "--stack", stack], null, null, ct)).StandardOutput;

    /// <summary>
    /// The stack's config as <c>pulumi config --json</c> prints it: key → {value | objectValue, secret}.
    /// Never with --show-secrets: a secret's value is left out (pulumi elides it), only its key is kept.
    /// </summary>
    public async Task<string> ConfigJsonAsync(string stack, CancellationToken ct) =>
        (await RunAsync(stack, "config", ["config", "--json", "--stack", stack], null, null, ct)).StandardOutput;

    /// <summary>The stacks of this project in the current backend (<c>pulumi stack ls --json</c>), by their short names.</summary>
    public async Task<IReadOnlySet<string>> StacksAsync(CancellationToken ct)
    {
        var result = await RunAsync("", "stack ls", ["stack", "ls", "--json"], null, null, ct);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
            // Names may be fully qualified (organization/project/stack): the stack is the last part.
            return document.RootElement.EnumerateArray()
                .Select(s => s.GetProperty("name").GetString() ?? "").Select(n => n[(n.LastIndexOf('/') + 1)..]).ToHashSet();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new RecoveryException($"pulumi stack ls --json did not print a list of stacks: {e.Message}");
        }
    }

    public async Task InitAsync(string stack, CancellationToken ct) =>
        await RunAsync(stack, "stack init", ["stack", "init", stack, "--non-interactive"], null, null, ct);

    /// <summary>Removes the stack and its state from the backend (never the cloud resources it records): the undo of an <see cref="InitAsync"/>.</summary>
    public async Task RemoveAsync(string stack, CancellationToken ct) =>
        await RunAsync(stack, "stack rm", ["stack", "rm", stack, "--yes", "--force", "--non-interactive"], null, null, ct);

    /// <summary><c>pulumi stack import --file</c>: the deployment in <paramref name="file"/> becomes the stack's state.</summary>
    public async Task ImportAsync(string stack, string file, CancellationToken ct) =>
        await RunAsync(stack, "stack import", ["stack", "import", "--file", file, "--stack", stack, "--non-interactive"], null, null, ct);

    public async Task RemoveConfigAsync(string stack, string key, CancellationToken ct) =>
        await RunAsync(stack, "config rm", ["config", "rm", Key(key), "--stack", stack], null, null, ct);

    sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    async Task<Result> RunAsync(string stack, string command, IReadOnlyList<string> arguments, string? input, Action<string>? onLine, CancellationToken ct, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(pulumi.Path)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = projectDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["PULUMI_SKIP_UPDATE_CHECK"] = "true";
        logger.LogDebug("pulumi {Arguments}", string.Join(' ', arguments));
        using var process = new Process { StartInfo = info };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e) { throw new RecoveryException($"cannot run {pulumi.Path}: {e.Message}"); }

        var stdout = new System.Text.StringBuilder();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                stdout.AppendLine(line);
                onLine?.Invoke(line);
            }
        }, ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(ct);
            await reading;
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var result = new Result(process.ExitCode, stdout.ToString(), await stderr);
        if (result.ExitCode != 0 && !allowFailure) throw StackError.From(stack, command, result.ExitCode, result.StandardError, []);
        return result;
    }
}
