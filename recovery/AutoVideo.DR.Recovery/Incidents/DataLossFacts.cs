using System.Globalization;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>A <see cref="DataLoss"/> as journal facts and back: the run records it once, the report and status read it.</summary>
public static class DataLossFacts
{
    public static Dictionary<string, string> Write(DataLoss loss)
    {
        var facts = new Dictionary<string, string>
        {
            [FactKeys.DataLossKind] = loss.Kind.ToString(),
            [FactKeys.DataLossBasis] = loss.Basis,
        };
        if (loss.Window is { } window) facts[FactKeys.DataLossSeconds] = window.TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        if (loss.LostCommits is { } commits) facts[FactKeys.DataLossCommits] = commits.ToString(CultureInfo.InvariantCulture);
        return facts;
    }

    /// <summary>The recorded loss, or null when the run has not measured it.</summary>
    public static DataLoss? Read(IReadOnlyDictionary<string, string> facts)
    {
        if (!facts.TryGetValue(FactKeys.DataLossKind, out var kindText) || !Enum.TryParse<DataLossKind>(kindText, out var kind)) return null;
        var basis = facts.GetValueOrDefault(FactKeys.DataLossBasis) ?? "";
        TimeSpan? window = facts.TryGetValue(FactKeys.DataLossSeconds, out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : null;
        long? commits = facts.TryGetValue(FactKeys.DataLossCommits, out var c) && long.TryParse(c, CultureInfo.InvariantCulture, out var n) ? n : null;
        return kind switch
        {
            DataLossKind.Measured when window is { } w && commits is { } k => DataLoss.Measured(k, w, basis),
            DataLossKind.UpperBound when window is { } w => DataLoss.UpperBound(w, basis),
            _ => DataLoss.Unknown(basis.Length > 0 ? basis : "the journal's data-loss facts are incomplete"),
        };
    }
}
