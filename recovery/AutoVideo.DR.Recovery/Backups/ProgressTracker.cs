using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>Thread-safe counters behind <see cref="TransferProgress"/>, one per phase, reported at most ten times a second (and at every phase change).</summary>
internal sealed class ProgressTracker
{
    readonly string operation;
    readonly IProgress<TransferProgress>? progress;
    readonly Phase[] phases;
    long lastReport;

    sealed class Phase(TransferPhase name, ProgressUnit unit, long total)
    {
        public readonly TransferPhase Name = name;
        public readonly ProgressUnit Unit = unit;
        public long Total = total;
        public long Done;
        public int State;
        public readonly Stopwatch Clock = new();
        public TimeSpan? Expected;
    }

    public ProgressTracker(string operation, IProgress<TransferProgress>? progress, params (TransferPhase Phase, ProgressUnit Unit, long Total)[] phases)
    {
        this.operation = operation;
        this.progress = progress;
        this.phases = phases.Select(p => new Phase(p.Phase, p.Unit, p.Total)).ToArray();
    }

    Phase Get(TransferPhase phase) => phases.First(p => p.Name == phase);

    /// <summary>An estimate for a phase that has not started, from an earlier run of the same kind.</summary>
    public void Expect(TransferPhase phase, TimeSpan expected) => Get(phase).Expected = expected;

    public void SetTotal(TransferPhase phase, long total)
    {
        Interlocked.Exchange(ref Get(phase).Total, total);
        Report();
    }

    public void Start(TransferPhase phase)
    {
        var p = Get(phase);
        lock (p) if (p.State == 0) { p.State = 1; p.Clock.Start(); }
        Report();
    }

    public void Add(TransferPhase phase, long count)
    {
        Interlocked.Add(ref Get(phase).Done, count);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastReport);
        if (now - last >= 100 && Interlocked.CompareExchange(ref lastReport, now, last) == last) Report();
    }

    public void Finish(TransferPhase phase)
    {
        var p = Get(phase);
        lock (p) { if (p.State == 0) p.Clock.Start(); p.State = 2; p.Clock.Stop(); }
        Report();
    }

    /// <summary>How long a phase ran (zero if it never started).</summary>
    public TimeSpan Elapsed(TransferPhase phase) => Get(phase).Clock.Elapsed;

    public IReadOnlyList<PhaseTiming> Timings() =>
        phases.Where(p => p.State == 2).Select(p => new PhaseTiming(p.Name, p.Clock.Elapsed.TotalSeconds, Interlocked.Read(ref p.Done))).ToList();

    public void Report()
    {
        if (progress is null) return;
        progress.Report(new TransferProgress(operation, phases.Select(p =>
        {
            lock (p)
                return new PhaseProgress(p.Name, p.Unit, Interlocked.Read(ref p.Done), Interlocked.Read(ref p.Total),
                    (PhaseState)p.State, p.Clock.Elapsed, p.Expected);
        }).ToList()));
    }
}

/// <summary>How long one phase of a backup or restore took and how much it did (in its unit): kept in the throughput record for forecasts and ETAs.</summary>
public sealed record PhaseTiming(TransferPhase Phase, double Seconds, long Work);
