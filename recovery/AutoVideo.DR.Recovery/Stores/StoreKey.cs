namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// The one rule for keys inside a store: relative, '/'-separated, no empty, '.' or '..' segment,
/// no backslash or control character. Every store checks it, so no manifest entry or name can
/// reach outside the store's root (path traversal) whatever the backend.
/// </summary>
public static class StoreKey
{
    public static string Validate(string key)
    {
        if (!IsSafe(key))
            throw new RecoveryException($"unsafe path '{Printable(key)}' rejected: it would leave its destination (accepted: relative paths without '..', '.', empty segments, backslashes or a leading '/')");
        return key;
    }

    public static bool IsSafe(string key) =>
        !string.IsNullOrEmpty(key)
        && !key.StartsWith('/')
        && !key.Contains('\\')
        && !key.Any(char.IsControl)
        && key.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    /// <summary>A store prefix: "" or a safe key ending in '/'.</summary>
    public static string Prefix(string prefix)
    {
        prefix = prefix.Trim('/');
        return prefix.Length == 0 ? "" : Validate(prefix) + "/";
    }

    static string Printable(string key) => new(key.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
