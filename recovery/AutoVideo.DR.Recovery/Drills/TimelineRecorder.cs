using System.Diagnostics;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// Times a drill's steps on one monotonic clock and places them relative to the moment the
/// disaster was injected, so the RTO is a difference of two readings of the same clock.
/// </summary>
public sealed class TimelineRecorder(Action<string>? progress = null)
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly List<(string Name, TimeSpan Start, TimeSpan Duration, bool Succeeded, string Detail)> steps = [];
    TimeSpan disaster;

    public DateTimeOffset DisasterAt { get; private set; }
    public TimeSpan SinceDisaster => clock.Elapsed - disaster;

    public void MarkDisaster()
    {
        disaster = clock.Elapsed;
        DisasterAt = DateTimeOffset.UtcNow;
    }

    public async Task<T> StepAsync<T>(string name, Func<Task<(T Value, string Detail)>> action)
    {
        var start = clock.Elapsed;
        progress?.Invoke($"{name} ...");
        try
        {
            var (value, detail) = await action();
            Add(name, start, clock.Elapsed - start, true, detail);
            return value;
        }
        catch (Exception e)
        {
            Add(name, start, clock.Elapsed - start, false, e.Message);
            throw;
        }
    }

    public Task StepAsync(string name, Func<Task<string>> action) =>
        StepAsync(name, async () => ((object?)null, await action()));

    /// <summary>Records a step measured elsewhere, that ended now.</summary>
    public void Completed(string name, TimeSpan duration, string detail) => Add(name, clock.Elapsed - duration, duration, true, detail);

    void Add(string name, TimeSpan start, TimeSpan duration, bool succeeded, string detail)
    {
        steps.Add((name, start, duration, succeeded, detail));
        progress?.Invoke($"{name}: {(succeeded ? "ok" : "FAILED")} in {duration.TotalMilliseconds:0} ms — {detail}");
    }

    public IReadOnlyList<TimelineStep> Steps =>
        steps.Select(s => new TimelineStep(s.Name, s.Start - disaster, s.Duration, s.Succeeded, s.Detail)).ToList();
}
