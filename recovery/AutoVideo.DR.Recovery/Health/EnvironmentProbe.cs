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
}
