namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>What a step's action did: a line for the journal and the operator, and facts later steps (and a resumed run) read.</summary>
public sealed record StepResult(string Output, IReadOnlyDictionary<string, string>? Facts = null);

/// <summary>Whether a step's action has taken effect, and what was seen.</summary>
public sealed record StepCheck(bool TookEffect, string Detail)
{
    public static StepCheck Yes(string detail) => new(true, detail);
    public static StepCheck No(string detail) => new(false, detail);
}

/// <summary>
/// One step of a runbook: an action, a check that it took effect (polled until the timeout),
/// and optionally a reason to skip it that is decided from earlier steps' facts. A resumed run
/// asks the check before repeating an action that was started but not journaled as done, so a
/// promotion or a restore that happened before a crash is never done twice. A step that
/// <paramref name="ChangesNothing"/> (an assessment) that fails before anything changed closes the
/// run instead of leaving it to resume, so a refused assessment does not block the next command.
/// </summary>
public sealed record RunbookStep(
    string Id,
    string Title,
    string Description,
    TimeSpan Timeout,
    Func<RunContext, CancellationToken, Task<StepResult>> Action,
    Func<RunContext, CancellationToken, Task<StepCheck>> Check,
    Func<RunContext, string?>? SkipWhen = null,
    bool ChangesNothing = false);
