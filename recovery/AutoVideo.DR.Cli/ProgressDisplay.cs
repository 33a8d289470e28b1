using AutoVideo.DR.Recovery.Backups;
using Spectre.Console;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Shows a backup, verify or restore on stderr phase by phase, each with its own progress against an
/// exact total, and a time left that counts the phases still to come (from the last measured run; a
/// phase nobody has measured yet makes it "at least"). On a terminal Spectre.Console draws one bar per
/// phase; elsewhere (a log, a pipe, a cron job) a plain line at every phase change and every 5 s.
/// </summary>
public sealed class ProgressDisplay : IProgress<TransferProgress>
{
    readonly CliContext context;
    readonly Lock gate = new();
    readonly Dictionary<TransferPhase, ProgressTask> bars = [];
    readonly HashSet<TransferPhase> stopped = [];
    ProgressContext? live;
    ProgressTask? summary;
    DateTime lastPlain = DateTime.MinValue;
    string lastStates = "";

    ProgressDisplay(CliContext context) => this.context = context;

    /// <summary>Runs <paramref name="work"/> with a display of its progress, drawn for as long as it runs.</summary>
    public static async Task<T> RunAsync<T>(CliContext context, Func<IProgress<TransferProgress>, Task<T>> work)
    {
        var display = new ProgressDisplay(context);
        if (!ReferenceEquals(context.Error, Console.Error) || Console.IsErrorRedirected) return await work(display);
        // stderr is a terminal (checked above); stdout may well be redirected, which Spectre would take for "not interactive".
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes });
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async live =>
            {
                lock (display.gate) display.live = live;
                return await work(display);
            });
    }

    public void Report(TransferProgress p)
    {
        lock (gate)
        {
            if (live is not null) Draw(live, p);
            else Plain(p);
        }
    }

    void Draw(ProgressContext live, TransferProgress p)
    {
        summary ??= live.AddTask(Markup.Escape(p.Operation), autoStart: true, maxValue: p.Phases.Count);
        summary.Value = p.Phases.Count(x => x.State == PhaseState.Done);
        summary.Description = Markup.Escape($"{p.Operation}: {TimeLeft(p)}");
        foreach (var phase in p.Phases)
        {
            if (!bars.TryGetValue(phase.Phase, out var bar))
                bars[phase.Phase] = bar = live.AddTask(phase.Name, autoStart: false, maxValue: Math.Max(1, phase.Total));
            bar.MaxValue = Math.Max(1, phase.Total);
            bar.Value = phase.State == PhaseState.Done ? bar.MaxValue : Math.Min(phase.Done, bar.MaxValue);
            bar.Description = Markup.Escape($"{phase.Name,-8} {Amount(phase)}");
            if (phase.State != PhaseState.Pending && !bar.IsStarted) bar.StartTask();
            // Stopped once: its elapsed time stays the phase's duration.
            if (phase.State == PhaseState.Done && stopped.Add(phase.Phase)) bar.StopTask();
        }
        if (p.Phases.All(x => x.State == PhaseState.Done)) summary.StopTask();
    }

    void Plain(TransferProgress p)
    {
        var states = string.Join(",", p.Phases.Select(x => x.State));
        if (states == lastStates && DateTime.UtcNow - lastPlain < TimeSpan.FromSeconds(5)) return;
        lastStates = states;
        lastPlain = DateTime.UtcNow;
        var running = p.Phases.Where(x => x.State == PhaseState.Running).ToList();
        var now = running.Count > 0 ? string.Join(", ", running.Select(x => $"{x.Name} {Amount(x)}")) : p.Phases.All(x => x.State == PhaseState.Done) ? "done" : "starting";
        context.Progress($"{p.Operation}: {now}; {TimeLeft(p)}");
    }

    /// <summary>"812.0 MiB of 1.3 GiB, 95.1 MiB/s" and the like: done of an exact total, and the rate once there is one.</summary>
    static string Amount(PhaseProgress phase)
    {
        var text = phase.Unit switch
        {
            ProgressUnit.Bytes => $"{Size(phase.Done)} of {Size(phase.Total)}",
            ProgressUnit.Rows => $"{phase.Done:N0} of {phase.Total:N0} rows",
            _ => $"{phase.Done} of {phase.Total}",
        };
        if (phase.State == PhaseState.Running && phase.Elapsed.TotalSeconds >= 1 && phase.Done > 0 && phase.Unit != ProgressUnit.Steps)
            text += phase.Unit == ProgressUnit.Bytes ? $", {Size((long)(phase.Done / phase.Elapsed.TotalSeconds))}/s" : $", {phase.Done / phase.Elapsed.TotalSeconds:N0}/s";
        return text;
    }

    /// <summary>Time left for every phase not done yet: the running ones at their own rate, the ones to come at their measured estimate.</summary>
    public static string TimeLeft(TransferProgress p)
    {
        var left = TimeSpan.Zero;
        var unknown = new List<string>();
        foreach (var phase in p.Phases.Where(x => x.State != PhaseState.Done))
        {
            if (phase.Total == 0 && phase.State == PhaseState.Pending && phase.Unit != ProgressUnit.Steps) continue;
            if (phase.State == PhaseState.Running && phase.Done > 0 && phase.Elapsed.TotalSeconds >= 1 && phase.Total >= phase.Done)
                left += TimeSpan.FromSeconds((phase.Total - phase.Done) * phase.Elapsed.TotalSeconds / phase.Done);
            else if (phase.Expected is { } expected)
                left += expected > phase.Elapsed ? expected - phase.Elapsed : TimeSpan.Zero;
            else unknown.Add(phase.Name);
        }
        if (unknown.Count == 0) return $"{Duration(left)} left";
        if (left == TimeSpan.Zero) return $"time left not estimated yet ({string.Join(", ", unknown)}: no earlier run measured, rate not known yet)";
        return $"at least {Duration(left)} left (not yet estimated: {string.Join(", ", unknown)})";
    }

    static string Duration(TimeSpan t) => $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}";

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
