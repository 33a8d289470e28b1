using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;

namespace AutoVideo.DR.Recovery.Tests.Monitoring;

/// <summary>
/// One local environment with its monitoring (real Prometheus, exporters, Alertmanager, Pushgateway)
/// whose Alertmanager posts to a webhook listener the tests run; started once for the collection,
/// since a healthy minute and an alert after a kill are the slow parts of the suite.
/// </summary>
public sealed class MonitoredEnvironmentFixture : IAsyncLifetime
{
    OwnEnvironment environment = null!;

    public string WorkDirectory => environment.WorkDirectory;
    public LocalEnvironmentState State => environment.State;
    public LocalMonitoringState Monitoring => State.Monitoring!;
    public AlertWebhookListener Webhook { get; private set; } = null!;
    public PrometheusApi Prometheus => new(Monitoring.PrometheusUrl);

    /// <summary>When the environment began to be created: the healthy window counts from here.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public async Task InitializeAsync()
    {
        Webhook = AlertWebhookListener.Start();
        StartedAt = DateTimeOffset.UtcNow;
        environment = await OwnEnvironment.StartAsync(directory => new LocalEnvironmentOptions(directory, Monitoring: true, AlertWebhook: Webhook.Url));
    }

    public async Task DisposeAsync()
    {
        await environment.DisposeAsync();
        await Webhook.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MonitoredEnvironmentCollection : ICollectionFixture<MonitoredEnvironmentFixture>
{
    public const string Name = "monitored environment";
}
