using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>
/// Servers of a working directory that its state file does not name: started by an up killed in
/// the instant between starting a process and recording it, or recorded in a state file that can no
/// longer be read. They are found by what they leave in the directory (PostgreSQL's postmaster.pid,
/// Redis' pid file) and, for the monitoring processes, by their arguments, which name its monitoring
/// directory. <c>local down</c> stops them too, so "down" always means nothing of it runs.
/// </summary>
public static class StrayServers
{
    public static async Task<IReadOnlyList<string>> StopAsync(string workDirectory, PostgresInstallation? installation, CancellationToken ct)
    {
        var stopped = new List<string>();
        if (!Directory.Exists(workDirectory)) return stopped;
        var logs = Path.Combine(workDirectory, "logs");
        foreach (var directory in Directory.EnumerateDirectories(workDirectory))
        {
            var name = Path.GetFileName(directory);
            var postgres = new PostgresServer(installation ?? new PostgresInstallation(PostgresInstallation.DefaultBinDirectory), ServerAccount.Current(),
                directory, PortOf(directory), Path.Combine(logs, name + ".log"));
            if (postgres.IsRunning() && ServesFrom(postgres.PostmasterPid()!.Value, directory))
            {
                if (installation is null) postgres.Kill();
                else await postgres.StopAsync(ct, "immediate");
                stopped.Add(name);
            }
            var redis = new RedisServer(directory, 0, Path.Combine(logs, name + ".log"));
            if (redis.IsRunning())
            {
                redis.Kill();
                stopped.Add(name);
            }
        }
        stopped.AddRange(await StopMonitoringAsync(workDirectory, ct));
        return stopped;
    }

    /// <summary>The monitoring processes whose arguments name this environment's monitoring directory (before a new set starts, none of them is wanted).</summary>
    public static async Task<IReadOnlyList<string>> StopMonitoringAsync(string workDirectory, CancellationToken ct)
    {
        var stopped = new List<string>();
        var monitoring = Path.Combine(workDirectory, "monitoring") + Path.DirectorySeparatorChar;
        foreach (var pid in ProcessTable.All())
        {
            if (ProcessTable.CommandLine(pid) is not [var program, .. var arguments] || !arguments.Any(a => a.Contains(monitoring, StringComparison.Ordinal))) continue;
            var name = Path.GetFileName(program);
            if (Component(name) is not { } component) continue;
            var process = new MonitoredProcess(name, component, program, 0, pid, "");
            if (await BackgroundProcess.StopAsync(process, TimeSpan.FromSeconds(5), ct)) stopped.Add(process.Name);
        }
        return stopped;
    }

    /// <summary>The port in a postmaster.pid (its fourth line), for pg_ctl's messages; 0 when unreadable.</summary>
    static int PortOf(string dataDirectory)
    {
        try { return int.TryParse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).Skip(3).FirstOrDefault(), out var port) ? port : 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    /// <summary>Whether the postmaster <paramref name="pid"/> serves this data directory (a pid file may outlive its server, and a pid be reused).</summary>
    static bool ServesFrom(int pid, string dataDirectory) => ProcessTable.CommandLine(pid) is { } argv && argv.Contains(dataDirectory);

    static MonitoringComponent? Component(string program) => program switch
    {
        "prometheus" => MonitoringComponent.Prometheus,
        "prometheus-alertmanager" or "alertmanager" => MonitoringComponent.Alertmanager,
        "prometheus-pushgateway" or "pushgateway" => MonitoringComponent.Pushgateway,
        "prometheus-postgres-exporter" or "postgres_exporter" => MonitoringComponent.PostgresExporter,
        _ => null,
    };
}
