using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Health;

/// <summary>Probes every component an environment describes, concurrently, into one report.</summary>
public sealed class EnvironmentProbe(DatabaseProbe databases, ServiceProbe services)
{
    public EnvironmentProbe() : this(new DatabaseProbe(), new ServiceProbe()) { }

    public async Task<HealthReport> ProbeAsync(EnvironmentDescription environment, CancellationToken ct)
    {
        var at = DateTimeOffset.UtcNow;
        var primary = environment.Primary?.ConnectionString;
        var probes = environment.Databases.Select(d => databases.ProbeAsync(d, primary, ct)).ToList();
        // Every Redis node with its role where the environment names them; else the one cache endpoint.
        if (environment.CacheNodes is { Count: > 0 } caches) probes.AddRange(caches.Select(c => new CacheProbe().ProbeAsync(c, ct)));
        else if (environment.CacheEndpoint is { } cache) probes.Add(services.ProbeCacheAsync("cache", cache, ct));
        var buckets = environment.Media is { } media ? new MediaProbe().ProbeAsync(media, ct) : Task.FromResult<IReadOnlyList<ComponentHealth>>([]);
        foreach (var (name, url) in environment.HealthUrls ?? new Dictionary<string, string>())
            probes.Add(services.ProbeHttpAsync(name, url, ct));
        return new HealthReport(environment.Name, at, [.. await Task.WhenAll(probes), .. await buckets]);
    }

    /// <summary>
    /// As <see cref="ProbeAsync"/>, then each database found down is probed once more, given longer: a
    /// runbook acts on what is down, and one probe that lost a race with a busy machine must not make a
    /// healthy standby "down". A dead server still fails at once (connection refused).
    /// </summary>
    public async Task<HealthReport> ProbeConfirmedAsync(EnvironmentDescription environment, CancellationToken ct)
    {
        var report = await ProbeAsync(environment, ct);
        var down = report.Components.Where(c => c.Kind == ComponentKind.Database && c.IsDown).Select(c => c.Name).ToHashSet();
        if (down.Count == 0) return report;
        var patient = new DatabaseProbe(TimeSpan.FromSeconds(5));
        var primary = environment.Primary?.ConnectionString;
        var again = (await Task.WhenAll(environment.Databases.Where(d => down.Contains(d.Name)).Select(d => patient.ProbeAsync(d, primary, ct))))
            .ToDictionary(c => c.Name);
        return report with { Components = report.Components.Select(c => again.GetValueOrDefault(c.Name) ?? c).ToList() };
    }
}
