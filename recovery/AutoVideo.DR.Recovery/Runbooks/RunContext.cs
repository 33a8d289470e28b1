using AutoVideo.DR.Recovery.Incidents;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// What a step sees while it runs: the run, its journal, the facts recorded by earlier steps
/// (rebuilt from the journal when a run resumes) and a progress line for the operator.
/// </summary>
public sealed class RunContext(Runbook runbook, Journal journal, IDictionary<string, string> facts, RunRequest request, Action<string> progress)
{
    public Runbook Runbook { get; } = runbook;
    public Journal Journal { get; } = journal;
    public string RunId => Journal.RunId;
    public IDictionary<string, string> Facts { get; } = facts;

    /// <summary>What this invocation was asked (a resumed run is asked again, with the same declaration).</summary>
    public RunRequest Request { get; } = request;

    public void Progress(string line) => progress(line);

    public string Fact(string key) =>
        Facts.TryGetValue(key, out var value)
            ? value
            : throw new RecoveryException($"run {RunId} has no fact '{key}'; an earlier step records it (journal: {Journal.Path})");

    public string? TryFact(string key) => Facts.TryGetValue(key, out var value) ? value : null;

    /// <summary>The incident so far, as its journal tells it.</summary>
    public Incident Incident() => Incidents.Incident.From(Journal.Read());
}
