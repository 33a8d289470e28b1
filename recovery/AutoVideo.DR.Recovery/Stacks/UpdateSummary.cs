namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// What a preview or update did, from pulumi's JSON: resource changes by operation (create,
/// update, delete, replace, same, ...), how long it took, and the errors and failed resources.
/// </summary>
public sealed record UpdateSummary(
    string Stack,
    string Operation,
    IReadOnlyDictionary<string, int> ResourceChanges,
    double? DurationSeconds,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> FailedResources,
    bool MaybeCorrupt = false)
{
    public int Changed => ResourceChanges.Where(c => c.Key != "same").Sum(c => c.Value);

    public override string ToString()
    {
        var changes = ResourceChanges.Count == 0
            ? "no changes reported"
            : string.Join(", ", ResourceChanges.OrderBy(c => c.Key == "same").ThenBy(c => c.Key).Select(c => $"{c.Value} {c.Key}"));
        var failures = FailedResources.Count == 0 ? "" : $"; failed (left for the next update): {string.Join(", ", FailedResources)}";
        return $"{Operation} of stack {Stack}: {changes}{(DurationSeconds is { } d ? $" in {d:0} s" : "")}{failures}";
    }
}
