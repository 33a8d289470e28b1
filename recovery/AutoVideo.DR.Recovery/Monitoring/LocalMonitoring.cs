using System.Diagnostics;
using System.Text.Json.Serialization;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Recovery.Monitoring;

public enum MonitoringComponent
{
    Prometheus,
    Alertmanager,
    Pushgateway,
    PostgresExporter,
}

/// <summary>The local monitoring as recorded in environment.json: its directory, where alerts go, and its processes.</summary>
public sealed record LocalMonitoringState(string Directory, string? AlertWebhook, IReadOnlyList<MonitoredProcess> Processes)
{
    public MonitoredProcess Process(MonitoringComponent component) =>
        Processes.FirstOrDefault(p => p.Component == component)
        ?? throw new RecoveryException($"the local monitoring in {Directory} has no {component.ToString().ToLowerInvariant()} recorded: the 'local up --monitoring' that started it did not finish; run 'autovideo-dr local up --monitoring' again");

    public bool Has(MonitoringComponent component) => Processes.Any(p => p.Component == component);
    /// <summary>Prometheus's TSDB (--storage.tsdb.path); its snapshots land in snapshots/ under it.</summary>
    [JsonIgnore] public string PrometheusData => Path.Combine(Directory, "prometheus-data");
    [JsonIgnore] public Uri PrometheusUrl => Url(MonitoringComponent.Prometheus);
    [JsonIgnore] public Uri AlertmanagerUrl => Url(MonitoringComponent.Alertmanager);
    [JsonIgnore] public Uri PushgatewayUrl => Url(MonitoringComponent.Pushgateway);
    [JsonIgnore] public bool AnyRunning => Processes.Any(p => p.IsRunning());

    Uri Url(MonitoringComponent component) => new($"http://{Process(component).Address}/");
}

/// <summary>
/// The plan's detection path on this machine ("Prometheus 告警觸發 → 自動告警發送到值班人員"): real
/// Prometheus with the repository's rules file, a PostgreSQL exporter beside each node,
/// Alertmanager routing critical alerts to on-call and warnings to the team (locally: a webhook),
/// and a Pushgateway for the backup and restore jobs, all on free loopback ports, scraping and
/// evaluating every second. Started by <c>local up --monitoring</c>, stopped by <c>local down</c>.
/// </summary>
public sealed class LocalMonitoring(ILogger logger)
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts every process; on any failure stops those it started and throws. <paramref name="started"/>
    /// hears of each process as soon as it runs, so the caller can record it before the next one starts
    /// (an up killed half-way then leaves no monitoring process it does not know of).
    /// </summary>
    public async Task<LocalMonitoringState> StartAsync(LocalEnvironmentState environment, string? alertWebhook, CancellationToken ct, Action<LocalMonitoringState>? started = null)
    {
        if (alertWebhook is not null && MonitoringConfiguration.WebhookProblem(alertWebhook) is { } problem) throw new RecoveryException(problem);
        var programs = MonitoringPrograms.Locate();
        var directory = Path.Combine(environment.WorkDirectory, "monitoring");
        var logs = Path.GetDirectoryName(environment.Nodes[0].LogFile)!;
        await MonitoringConfiguration.WriteStaticFilesAsync(directory, ct);

        var ports = DistinctFreePorts(3 + environment.Nodes.Count);
        var (prometheusPort, alertmanagerPort, pushgatewayPort) = (ports[0], ports[1], ports[2]);
        var exporters = environment.Nodes.Select((node, i) => (Node: node, ExporterPort: ports[3 + i])).ToList();
        await File.WriteAllTextAsync(Path.Combine(directory, MonitoringConfiguration.PrometheusFile),
            MonitoringConfiguration.Prometheus(alertmanagerPort, pushgatewayPort, exporters), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, MonitoringConfiguration.AlertmanagerFile),
            MonitoringConfiguration.Alertmanager(alertWebhook), ct);

        var running = new List<MonitoredProcess>();
        void Started(MonitoredProcess process)
        {
            running.Add(process);
            started?.Invoke(new LocalMonitoringState(directory, alertWebhook, running.ToList()));
        }
        try
        {
            foreach (var (node, port) in exporters)
            {
                // The DSN goes through the environment: arguments are readable by every user in /proc.
                var dsn = $"postgresql://{PostgresServer.Superuser}@{PostgresServer.Host}:{node.Port}/{environment.Database}?sslmode=disable&connect_timeout=2";
                Started(BackgroundProcess.Start($"exporter-{node.Name}", MonitoringComponent.PostgresExporter, programs.PostgresExporter, port,
                    [$"--web.listen-address=127.0.0.1:{port}", $"--extend.query-path={Path.Combine(directory, MonitoringConfiguration.ExporterQueriesFile)}",
                     "--disable-settings-metrics", "--log.level=warn"],
                    Path.Combine(logs, $"exporter-{node.Name}.log"), new Dictionary<string, string> { ["DATA_SOURCE_NAME"] = dsn }));
            }
            Started(BackgroundProcess.Start("pushgateway", MonitoringComponent.Pushgateway, programs.Pushgateway, pushgatewayPort,
                [$"--web.listen-address=127.0.0.1:{pushgatewayPort}", $"--persistence.file={Path.Combine(directory, "pushgateway.data")}",
                 "--persistence.interval=5s", "--log.level=warn"],
                Path.Combine(logs, "pushgateway.log")));
            Started(BackgroundProcess.Start("alertmanager", MonitoringComponent.Alertmanager, programs.Alertmanager, alertmanagerPort,
                [$"--config.file={Path.Combine(directory, MonitoringConfiguration.AlertmanagerFile)}", $"--storage.path={Path.Combine(directory, "alertmanager-data")}",
                 $"--web.listen-address=127.0.0.1:{alertmanagerPort}", "--cluster.listen-address=", "--log.level=warn"],
                Path.Combine(logs, "alertmanager.log")));
            Started(StartPrometheus(programs.Prometheus, directory, prometheusPort, Path.Combine(logs, "prometheus.log")));
            foreach (var process in running) await WaitReadyAsync(process, ct);
            var state = new LocalMonitoringState(directory, alertWebhook, running);
            logger.LogInformation("Monitoring: Prometheus {Prometheus}, Alertmanager {Alertmanager}, Pushgateway {Pushgateway}",
                state.PrometheusUrl, state.AlertmanagerUrl, state.PushgatewayUrl);
            return state;
        }
        catch
        {
            // Just started: a pid may still be setsid or sh on its way to exec the program, so it is judged alive by its pid.
            foreach (var process in running) await BackgroundProcess.StopAsync(process, TimeSpan.FromSeconds(5), CancellationToken.None, justStarted: true);
            throw;
        }
    }

    /// <summary>
    /// Prometheus on its port with this environment's configuration and TSDB. The admin API is on
    /// (loopback only) for the TSDB snapshot every system backup takes: POST /api/v1/admin/tsdb/snapshot
    /// answers only with --web.enable-admin-api (Prometheus HTTP API, "TSDB Admin APIs").
    /// </summary>
    static MonitoredProcess StartPrometheus(string program, string directory, int port, string logFile) =>
        BackgroundProcess.Start("prometheus", MonitoringComponent.Prometheus, program, port,
            [$"--config.file={Path.Combine(directory, MonitoringConfiguration.PrometheusFile)}", $"--storage.tsdb.path={Path.Combine(directory, "prometheus-data")}",
             $"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle", "--web.enable-admin-api", "--storage.tsdb.retention.time=7d", "--log.level=warn"],
            logFile);

    /// <summary>
    /// Starts the environment's Prometheus again on its recorded port (after its TSDB was replaced), waits until
    /// it is ready, and records its new pid.
    /// </summary>
    public static async Task<LocalMonitoringState> RestartPrometheusAsync(string workDirectory, CancellationToken ct)
    {
        var environment = LocalEnvironmentState.Load(workDirectory);
        var monitoring = environment.Monitoring ?? throw new RecoveryException($"the local environment in {environment.WorkDirectory} runs no monitoring");
        var old = monitoring.Process(MonitoringComponent.Prometheus);
        await BackgroundProcess.StopAsync(old, TimeSpan.FromSeconds(10), ct);
        var started = StartPrometheus(old.Program, monitoring.Directory, old.Port, old.LogFile);
        await WaitReadyAsync(started, ct);
        var updated = monitoring with { Processes = monitoring.Processes.Select(p => p.Component == MonitoringComponent.Prometheus ? started : p).ToList() };
        (LocalEnvironmentState.Load(workDirectory) with { Monitoring = updated }).Save();
        return updated;
    }

    /// <summary>Stops every monitoring process that still runs; returns their names.</summary>
    public async Task<IReadOnlyList<string>> StopAsync(LocalMonitoringState state, CancellationToken ct)
    {
        var stopped = new List<string>();
        // Prometheus first, so it sends nothing about the exporters going away.
        foreach (var process in state.Processes.OrderBy(p => p.Component == MonitoringComponent.Prometheus ? 0 : 1))
            if (await BackgroundProcess.StopAsync(process, TimeSpan.FromSeconds(10), ct)) stopped.Add(process.Name);
        return stopped;
    }

    /// <summary>
    /// Points Alertmanager's receivers at <paramref name="alertWebhook"/> (null: nowhere) in the running
    /// environment of <paramref name="workDirectory"/>, reloads it, and records the change. For a drill
    /// that starts its own <see cref="AlertWebhookListener"/> against an environment already up.
    /// </summary>
    public static async Task<LocalEnvironmentState> RouteAlertsAsync(string workDirectory, string? alertWebhook, CancellationToken ct)
    {
        if (alertWebhook is not null && MonitoringConfiguration.WebhookProblem(alertWebhook) is { } problem) throw new RecoveryException(problem);
        var environment = LocalEnvironmentState.Load(workDirectory);
        var monitoring = environment.Monitoring is { } m && m.Process(MonitoringComponent.Alertmanager).IsRunning()
            ? m
            : throw new RecoveryException($"the local environment in {environment.WorkDirectory} runs no monitoring; start it with 'autovideo-dr local up --monitoring'");
        await File.WriteAllTextAsync(Path.Combine(monitoring.Directory, MonitoringConfiguration.AlertmanagerFile), MonitoringConfiguration.Alertmanager(alertWebhook), ct);
        using var reload = await Http.PostAsync(new Uri(monitoring.AlertmanagerUrl, "-/reload"), null, ct);
        if (!reload.IsSuccessStatusCode)
            throw new RecoveryException($"Alertmanager at {monitoring.AlertmanagerUrl} refused the new configuration (HTTP {(int)reload.StatusCode}): {(await reload.Content.ReadAsStringAsync(ct)).Trim()}");
        var updated = environment with { Monitoring = monitoring with { AlertWebhook = alertWebhook } };
        updated.Save();
        return updated;
    }

    /// <summary>Waits until a process answers on its port (ready endpoints; the exporter's metrics page).</summary>
    internal static async Task WaitReadyAsync(MonitoredProcess process, CancellationToken ct)
    {
        var path = process.Component == MonitoringComponent.PostgresExporter ? "metrics" : "-/ready";
        var url = new Uri($"http://{process.Address}/{path}");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync(url, ct);
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
            // Alive, not IsRunning: right after the start the pid may still be setsid's or sh's, on its way to exec the program.
            if (!ProcessTable.IsAlive(process.Pid))
                throw new RecoveryException($"{process.Name} ({process.Program}) exited on start: {BackgroundProcess.LogTail(process.LogFile)} (log: {process.LogFile})");
            if (clock.Elapsed > ReadyTimeout)
                throw new RecoveryException($"{process.Name} did not answer {url} within {ReadyTimeout.TotalSeconds:0} s (log: {process.LogFile})");
            await Task.Delay(100, ct);
        }
    }

    static List<int> DistinctFreePorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = FreePort.Pick();
            if (!ports.Contains(port)) ports.Add(port);
        }
        return ports;
    }
}

/// <summary>
/// Where the monitoring programs are: on PATH (the Debian packages put them in /usr/bin), or in
/// the one directory AUTOVIDEO_DR_MONITORING_BIN names (upstream builds use the short names).
/// </summary>
public sealed record MonitoringPrograms(string Prometheus, string Alertmanager, string Pushgateway, string PostgresExporter)
{
    public const string BinDirectoryVariable = "AUTOVIDEO_DR_MONITORING_BIN";

    public static MonitoringPrograms Locate()
    {
        var configured = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        var directories = string.IsNullOrWhiteSpace(configured)
            ? (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            : [configured];
        var missing = new List<string>();
        string Find(string package, params string[] names)
        {
            foreach (var name in names)
                foreach (var dir in directories)
                    if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
            missing.Add(package);
            return "";
        }
        var programs = new MonitoringPrograms(
            Find("prometheus", "prometheus"),
            Find("prometheus-alertmanager", "prometheus-alertmanager", "alertmanager"),
            Find("prometheus-pushgateway", "prometheus-pushgateway", "pushgateway"),
            Find("prometheus-postgres-exporter", "prometheus-postgres-exporter", "postgres_exporter"));
        if (missing.Count > 0)
            throw new RecoveryException($"local monitoring needs {string.Join(", ", missing)}, not found {(string.IsNullOrWhiteSpace(configured) ? "on PATH" : $"in {BinDirectoryVariable}={configured}")}; install the Debian package(s) of that name (scripts/install-prerequisites.sh does), or omit --monitoring");
        return programs;
    }
}
