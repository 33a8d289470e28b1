using AutoVideo.DR.Recovery.Postgres;
using System.Text.Json;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;

namespace AutoVideo.DR.Recovery.Tests.Monitoring;

/// <summary>local up --monitoring and local down through the CLI: what starts, where it is recorded, that nothing is left running.</summary>
public sealed class LocalMonitoringLifecycleTests
{
    [Fact]
    public async Task Up_with_monitoring_records_its_processes_and_down_leaves_none_running()
    {
        using var directory = new TemporaryDirectory();
        using var webhook = new Disposer(AlertWebhookListener.Start());

        var up = await CliRunner.RunAsync("local", "up", "--monitoring", "--alert-webhook", webhook.Listener.Url, "--workdir", directory.Path);
        Assert.True(up.ExitCode == 0, up.ToString());
        var monitoring = LocalEnvironmentState.Load(directory.Path).Monitoring!;
        try
        {
            Assert.Equal(webhook.Listener.Url, monitoring.AlertWebhook);
            Assert.Equal(
                new[] { MonitoringComponent.Prometheus, MonitoringComponent.Alertmanager, MonitoringComponent.Pushgateway, MonitoringComponent.PostgresExporter, MonitoringComponent.PostgresExporter },
                monitoring.Processes.Select(p => p.Component).Order());
            Assert.All(monitoring.Processes, p => Assert.True(p.IsRunning(), $"{p.Name} (pid {p.Pid}) does not run"));
            // The exporters' connection string is in their environment, never in their arguments.
            foreach (var exporter in monitoring.Processes.Where(p => p.Component == MonitoringComponent.PostgresExporter))
            {
                Assert.DoesNotContain("postgresql://", File.ReadAllText($"/proc/{exporter.Pid}/cmdline"));
                Assert.Contains("DATA_SOURCE_NAME=postgresql://", File.ReadAllText($"/proc/{exporter.Pid}/environ"));
            }

            var status = await CliRunner.RunAsync("local", "status", "--json", "--workdir", directory.Path);
            using var json = JsonDocument.Parse(status.Out);
            var recorded = json.RootElement.GetProperty("monitoring");
            Assert.Equal(monitoring.PrometheusUrl.ToString(), recorded.GetProperty("prometheus").GetString());
            Assert.All(recorded.GetProperty("processes").EnumerateArray(), p => Assert.True(p.GetProperty("running").GetBoolean()));

            var health = await CliRunner.RunAsync("health", "--workdir", directory.Path);
            Assert.True(health.ExitCode == 0, health.ToString());
            Assert.Contains("alerts: none firing or pending", health.Out);

            // A drill's own listener: Alertmanager reloads with it, and the state records it.
            await using var other = AlertWebhookListener.Start();
            var rerouted = await LocalMonitoring.RouteAlertsAsync(directory.Path, other.Url, CancellationToken.None);
            Assert.Equal(other.Url, LocalEnvironmentState.Load(directory.Path).Monitoring!.AlertWebhook);
            using var http = new HttpClient();
            var config = await http.GetStringAsync(new Uri(rerouted.Monitoring!.AlertmanagerUrl, "api/v2/status"));
            Assert.Contains(other.Url, config);
            Assert.DoesNotContain(webhook.Listener.Url, config);
        }
        finally
        {
            var down = await CliRunner.RunAsync("local", "down", "--workdir", directory.Path);
            Assert.True(down.ExitCode == 0, down.ToString());
            Assert.Contains("prometheus", down.Out);
            Assert.Contains("alertmanager", down.Out);
        }
        Assert.All(monitoring.Processes, p => Assert.False(ProcessTable.IsAlive(p.Pid), $"{p.Name} (pid {p.Pid}) still runs after down"));
        Assert.False(Directory.Exists(directory.Path));
    }

    [Theory]
    [InlineData("--alert-webhook needs --monitoring", "--alert-webhook", "http://127.0.0.1:9/")]
    [InlineData("--alert-webhook 'ftp://pager' is not an http(s) URL", "--monitoring", "--alert-webhook", "ftp://pager")]
    public async Task Bad_monitoring_options_are_usage_errors_that_create_nothing(string message, params string[] options)
    {
        using var directory = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["local", "up", "--workdir", directory.Path, .. options]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(directory.Path));
    }

    [Fact]
    public async Task Up_without_the_monitoring_programs_names_the_packages_and_leaves_nothing_behind()
    {
        using var directory = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(["local", "up", "--monitoring", "--workdir", directory.Path],
            new Dictionary<string, string> { [MonitoringPrograms.BinDirectoryVariable] = "/nonexistent/monitoring/bin" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("local monitoring needs prometheus, prometheus-alertmanager, prometheus-pushgateway, prometheus-postgres-exporter", result.Error);
        Assert.False(Directory.Exists(directory.Path), "a refused up left its working directory (and maybe servers) behind");
    }

    sealed class Disposer(AlertWebhookListener listener) : IDisposable
    {
        public AlertWebhookListener Listener { get; } = listener;
        public void Dispose() => Listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
