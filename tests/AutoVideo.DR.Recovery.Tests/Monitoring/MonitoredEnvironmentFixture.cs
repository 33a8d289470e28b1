using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Tests.Monitoring;

/// <summary>
/// One local environment with its monitoring (real Prometheus, exporters, Alertmanager, Pushgateway)
/// whose Alertmanager posts to a webhook listener the tests run; started once for the collection,
/// since a healthy minute and an alert after a kill are the slow parts of the suite.
/// </summary>
public sealed class MonitoredEnvironmentFixture : IAsyncLifetime
{
    readonly TemporaryDirectory directory = new();

    public string WorkDirectory => directory.Path;
    public LocalEnvironmentState State { get; private set; } = null!;
    public LocalMonitoringState Monitoring => State.Monitoring!;
    public AlertWebhookListener Webhook { get; private set; } = null!;
    public PrometheusApi Prometheus => new(Monitoring.PrometheusUrl);

    /// <summary>When the environment began to be created: the healthy window counts from here.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public async Task InitializeAsync()
    {
        Webhook = AlertWebhookListener.Start();
        StartedAt = DateTimeOffset.UtcNow;
        State = await new LocalEnvironment(NullLogger<LocalEnvironment>.Instance)
            .UpAsync(new LocalEnvironmentOptions(directory.Path, Monitoring: true, AlertWebhook: Webhook.Url), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await LocalEnvironmentFixture.StopAsync(directory.Path);
        await Webhook.DisposeAsync();
        directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class MonitoredEnvironmentCollection : ICollectionFixture<MonitoredEnvironmentFixture>
{
    public const string Name = "monitored environment";
}
