using System.Diagnostics;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>
/// Declares a database failed after a number of consecutive failed probes, so one dropped packet
/// is not a disaster but a dead server is detected within a fraction of a second.
/// </summary>
public sealed class FailureDetector(DatabaseProbe probe, TimeSpan interval, int consecutiveFailures)
{
    public static FailureDetector Default => new(new DatabaseProbe(TimeSpan.FromMilliseconds(500)), TimeSpan.FromMilliseconds(50), 3);

    /// <summary>Waits until <paramref name="node"/> is down; returns the last probe and how many probes it took.</summary>
    public async Task<(ComponentHealth Probe, int Probes)> WaitForFailureAsync(DatabaseNode node, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var failures = 0;
        var probes = 0;
        while (true)
        {
            var result = await probe.ProbeAsync(node, null, ct);
            probes++;
            failures = result.IsDown ? failures + 1 : 0;
            if (failures >= consecutiveFailures) return (result, probes);
            if (clock.Elapsed > timeout)
                throw new RecoveryException($"{node.Name} was not detected as failed within {timeout.TotalSeconds:0} s (last probe: {result.Detail})");
            await Task.Delay(interval, ct);
        }
    }

    /// <summary>The same for a Redis node: down after the same number of consecutive failed probes (each given the database probe's timeout).</summary>
    public async Task<(ComponentHealth Probe, int Probes)> WaitForFailureAsync(CacheNode node, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var cache = new CacheProbe(probe.Timeout);
        var failures = 0;
        var probes = 0;
        while (true)
        {
            var result = await cache.ProbeAsync(node, ct);
            probes++;
            failures = result.IsDown ? failures + 1 : 0;
            if (failures >= consecutiveFailures) return (result, probes);
            if (clock.Elapsed > timeout)
                throw new RecoveryException($"{node.Name} was not detected as failed within {timeout.TotalSeconds:0} s (last probe: {result.Detail})");
            await Task.Delay(interval, ct);
        }
    }
}
