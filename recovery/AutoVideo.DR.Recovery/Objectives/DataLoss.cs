using System.Globalization;
using System.Text.Json.Serialization;

namespace AutoVideo.DR.Recovery.Objectives;

/// <summary>How a data-loss figure was obtained. Nothing else may be reported: never a default.</summary>
public enum DataLossKind
{
    /// <summary>Counted: the drill's ledger of acknowledged commits, or the commits in the old primary's WAL past what survived.</summary>
    Measured,
    /// <summary>At most this much, from what the surviving side knows (e.g. the time since its last replayed commit).</summary>
    UpperBound,
    /// <summary>Neither could be obtained; <see cref="DataLoss.Basis"/> says why.</summary>
    Unknown,
}

/// <summary>
/// The data a recovery lost (the RPO achieved), with how it is known. Measured: <see cref="LostCommits"/>
/// commits spanning <see cref="Window"/>. Upper bound: at most <see cref="Window"/>. Unknown: no figure.
/// "0 lost" is only ever a measured zero.
/// </summary>
public sealed record DataLoss(DataLossKind Kind, [property: JsonIgnore] TimeSpan? Window, long? LostCommits, string Basis)
{
    /// <summary>The window in seconds, for JSON: null when unknown.</summary>
    public double? Seconds => Window?.TotalSeconds;

    /// <summary>What was lost, in the singular: "commit" for a database, "write" for a cache (acknowledged SETs).</summary>
    public string Unit { get; init; } = "commit";

    public static DataLoss Measured(long lostCommits, TimeSpan window, string basis) =>
        new(DataLossKind.Measured, window < TimeSpan.Zero ? TimeSpan.Zero : window, lostCommits, basis);

    public static DataLoss UpperBound(TimeSpan bound, string basis) =>
        new(DataLossKind.UpperBound, bound < TimeSpan.Zero ? TimeSpan.Zero : bound, null, basis);

    public static DataLoss Unknown(string reason) => new(DataLossKind.Unknown, null, null, reason);

    /// <summary>Whether the objective is met: true or false when known, null when an upper bound exceeds it or nothing is known.</summary>
    public bool? Met(RecoveryObjective objective) => Kind switch
    {
        DataLossKind.Measured => objective.RpoMet(Window!.Value),
        DataLossKind.UpperBound when objective.RpoMet(Window!.Value) => true,
        _ => null,
    };

    /// <summary>The figure for comparing sources: the window, or no figure (treated as the worst) when unknown.</summary>
    [JsonIgnore] public TimeSpan? Comparable => Window;

    [JsonIgnore] public string KindName => Kind switch
    {
        DataLossKind.Measured => "measured",
        DataLossKind.UpperBound => "upper bound",
        _ => "unknown",
    };

    /// <summary>
    /// One line, count first when commits were lost, never "0" unless a measurement proved it:
    /// "3 acknowledged commits lost, spanning 0.412 s (measured: …)", "≤ 2.1 s (upper bound: …)", "unknown (…)".
    /// </summary>
    public string Describe() => Kind switch
    {
        DataLossKind.Measured when LostCommits > 0 => $"{LostCommits} acknowledged {Unit}{(LostCommits == 1 ? "" : "s")} lost, spanning {Span(Window!.Value)} (measured: {Basis})",
        DataLossKind.Measured => $"0 {Unit}s lost (measured: {Basis})",
        DataLossKind.UpperBound => $"at most {Span(Window!.Value)} of {Unit}s (upper bound: {Basis})",
        _ => $"unknown ({Basis})",
    };

    /// <summary>A duration at a resolution that never rounds a real loss to zero.</summary>
    public static string Span(TimeSpan t) =>
        t == TimeSpan.Zero ? "0 s"
        : t < TimeSpan.FromMilliseconds(1) ? "< 0.001 s"
        : t < TimeSpan.FromMinutes(2) ? t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s"
        : t.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture) + " min";
}
