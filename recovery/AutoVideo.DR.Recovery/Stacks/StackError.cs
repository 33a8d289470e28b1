namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// Turns a failed pulumi command into one line the operator can act on: a missing stack, a stack
/// locked by a concurrent update, or a failed update with pulumi's own first error.
/// </summary>
public static class StackError
{
    public static RecoveryException From(string stack, string command, int exitCode, string stderr, IReadOnlyList<string> engineErrors)
    {
        var all = stderr + "\n" + string.Join("\n", engineErrors);
        if (all.Contains("no stack named", StringComparison.OrdinalIgnoreCase) || all.Contains($"stack '{stack}' not found", StringComparison.OrdinalIgnoreCase)
            || all.Contains("stack not found", StringComparison.OrdinalIgnoreCase))
            return new RecoveryException($"no stack named '{stack}' in the current Pulumi backend (pulumi {command}); check --stack / --peer-stack and 'pulumi whoami', or create it with 'pulumi stack init {stack}'");
        if (all.Contains("currently locked", StringComparison.OrdinalIgnoreCase) || all.Contains("[409] Conflict", StringComparison.OrdinalIgnoreCase)
            || all.Contains("update is currently in progress", StringComparison.OrdinalIgnoreCase))
            return new RecoveryException($"stack '{stack}' is locked by another update in progress (pulumi {command}); wait for it to finish, or if no update is running, clear the lock with 'pulumi cancel --stack {stack}' and run the same command again");
        var reason = engineErrors.FirstOrDefault(e => !e.StartsWith("update failed", StringComparison.OrdinalIgnoreCase))
            ?? FirstError(stderr) ?? engineErrors.FirstOrDefault() ?? $"exit {exitCode}";
        return new RecoveryException($"pulumi {command} on stack '{stack}' failed (exit {exitCode}): {reason}");
    }

    static string? FirstError(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.StartsWith("error:", StringComparison.OrdinalIgnoreCase) && !l.Contains("update failed", StringComparison.OrdinalIgnoreCase))?["error:".Length..].Trim()
            ?? lines.FirstOrDefault(l => l.StartsWith("error:", StringComparison.OrdinalIgnoreCase))?["error:".Length..].Trim()
            ?? lines.LastOrDefault();
    }
}
