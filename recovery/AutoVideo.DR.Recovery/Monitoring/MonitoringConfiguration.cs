using AutoVideo.DR.Recovery.Local;

namespace AutoVideo.DR.Recovery.Monitoring;

/// <summary>
/// The files the local monitoring runs on, written into &lt;workdir&gt;/monitoring: the alert rules
/// and the exporter's queries (copies of monitoring/*.yaml, embedded in this assembly at build
/// time, so an installed CLI carries the repository's one rules file), and the Prometheus and
/// Alertmanager configurations for this environment's ports.
/// </summary>
public static class MonitoringConfiguration
{
    public const string RulesFile = "alerts.yaml";
    public const string ExporterQueriesFile = "postgres-exporter-queries.yaml";
    public const string PrometheusFile = "prometheus.yml";
    public const string AlertmanagerFile = "alertmanager.yml";

    /// <summary>The exporters' scrape job: the rules read up{job="postgres"}.</summary>
    public const string PostgresJob = "postgres";

    /// <summary>Alertmanager's receivers: critical alerts page on-call, the rest go to the team channel.</summary>
    public const string OncallReceiver = "oncall";
    public const string TeamReceiver = "team";

    /// <summary>Local scrape and evaluation interval: a dead primary is seen within a second or two.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>monitoring/alerts.yaml of the repository this assembly was built from.</summary>
    public static string AlertRules => Embedded("monitoring/alerts.yaml");

    public static string ExporterQueries => Embedded("monitoring/postgres-exporter-queries.yaml");

    static string Embedded(string name)
    {
        using var stream = typeof(MonitoringConfiguration).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in {typeof(MonitoringConfiguration).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static async Task WriteStaticFilesAsync(string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, RulesFile), AlertRules, ct);
        await File.WriteAllTextAsync(Path.Combine(directory, ExporterQueriesFile), ExporterQueries, ct);
    }

    /// <summary>
    /// Prometheus: every second, the exporters (instance = the database's own address, node = its
    /// name) and the Pushgateway (honor_labels keeps the jobs' own job and store labels), the rules
    /// file, and this environment's Alertmanager.
    /// </summary>
    public static string Prometheus(int alertmanagerPort, int pushgatewayPort, IEnumerable<(LocalNodeState Node, int ExporterPort)> exporters)
    {
        var seconds = $"{Interval.TotalSeconds:0}s";
        var targets = string.Concat(exporters.Select(e => $"""

                  - targets: ['127.0.0.1:{e.ExporterPort}']
                    labels: {"{"} instance: '127.0.0.1:{e.Node.Port}', node: '{e.Node.Name}' {"}"}
            """));
        return $"""
            # Written by autovideo-dr local up --monitoring.
            global:
              scrape_interval: {seconds}
              scrape_timeout: {seconds}
              evaluation_interval: {seconds}
            rule_files:
              - '{RulesFile}'
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:{alertmanagerPort}']
            scrape_configs:
              - job_name: '{PostgresJob}'
                static_configs:{targets}
              - job_name: 'pushgateway'
                honor_labels: true
                static_configs:
                  - targets: ['127.0.0.1:{pushgatewayPort}']

            """;
    }

    /// <summary>
    /// Alertmanager: severity critical to the on-call receiver, everything else to the team
    /// receiver; locally both post to <paramref name="webhook"/> (or nowhere when null), and the
    /// notification's receiver field tells which route it took. No waiting to group: locally an
    /// alert goes out as soon as it fires.
    /// </summary>
    public static string Alertmanager(string? webhook)
    {
        string Receiver(string name) => webhook is null
            ? $"  - name: '{name}'"
            : $"""
                  - name: '{name}'
                    webhook_configs:
                      - url: '{webhook.Replace("'", "''")}'
                        send_resolved: true
                """;
        return $"""
            # Written by autovideo-dr local up --monitoring.
            route:
              receiver: '{TeamReceiver}'
              group_by: ['alertname', 'instance', 'store']
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 1h
              routes:
                - receiver: '{OncallReceiver}'
                  matchers: ['severity="critical"']
            receivers:
            {Receiver(OncallReceiver)}
            {Receiver(TeamReceiver)}

            """;
    }

    /// <summary>An absolute http(s) URL, or null with the reason.</summary>
    public static string? WebhookProblem(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : $"--alert-webhook '{url}' is not an http(s) URL; accepted: the URL Alertmanager posts notifications to, e.g. http://127.0.0.1:9099/";
}
