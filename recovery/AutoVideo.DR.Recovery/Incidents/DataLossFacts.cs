using System.Globalization;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// A <see cref="DataLoss"/> as journal facts and back: the run records it once, the report and status read it.
/// The database's figure has the plain keys (<see cref="FactKeys.DataLossKind"/> …); another component's
/// (the cache: <see cref="FactKeys.CachePrefix"/>) the same keys behind its prefix, with its unit.
/// </summary>
public static class DataLossFacts
{
    const string UnitKey = "data-loss-unit";

    public static Dictionary<string, string> Write(DataLoss loss, string prefix = "")
    {
        var facts = new Dictionary<string, string>
        {
            [prefix + FactKeys.DataLossKind] = loss.Kind.ToString(),
            [prefix + FactKeys.DataLossBasis] = loss.Basis,
        };
        if (loss.Window is { } window) facts[prefix + FactKeys.DataLossSeconds] = window.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        if (loss.LostCommits is { } commits) facts[prefix + FactKeys.DataLossCommits] = commits.ToString(CultureInfo.InvariantCulture);
        if (prefix.Length > 0) facts[prefix + UnitKey] = loss.Unit;
        return facts;
    }

    /// <summary>The recorded loss, or null when the run has not measured it.</summary>
    public static DataLoss? Read(IReadOnlyDictionary<string, string> facts, string prefix = "")
    {
        if (!facts.TryGetValue(prefix + FactKeys.DataLossKind, out var kindText) || !Enum.TryParse<DataLossKind>(kindText, out var kind)) return null;
        var basis = facts.GetValueOrDefault(prefix + FactKeys.DataLossBasis) ?? "";
        TimeSpan? window = facts.TryGetValue(prefix + FactKeys.DataLossSeconds, out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : null;
        long? commits = facts.TryGetValue(prefix + FactKeys.DataLossCommits, out var c) && long.TryParse(c, CultureInfo.InvariantCulture, out var n) ? n : null;
        var loss = kind switch
        {
            DataLossKind.Measured when window is { } w && commits is { } k => DataLoss.Measured(k, w, basis),
            DataLossKind.UpperBound when window is { } w => DataLoss.UpperBound(w, basis),
            _ => DataLoss.Unknown(basis.Length > 0 ? basis : "the journal's data-loss facts are incomplete"),
        };
        return facts.GetValueOrDefault(prefix + UnitKey) is { Length: > 0 } unit ? loss with { Unit = unit } : loss;
    }
}
