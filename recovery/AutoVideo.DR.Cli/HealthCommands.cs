using System.Text.Json;
using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr health and assess: probe every component, and classify what is wrong into a disaster level.</summary>
public static class HealthCommands
{
    static readonly Option<bool> SecurityBreach = new("--security-breach") { Description = "declare a security breach (classified critical whatever the probes say)" };

    public static Command CreateHealth(CliContext context)
    {
        var health = new Command("health", "probe every component of the environment: reachability, role, replication lag; and forecast the restore of the newest backup against each level's RTO") { EnvironmentOption.Stacks };
        AddStoreOptions(health);
        health.SetAction(async (parse, ct) =>
        {
            var report = await new EnvironmentProbe().ProbeAsync(await EnvironmentOption.ResolveAsync(context, parse, ct), ct);
            var alerts = await LocalAlertsAsync(parse, ct);
            var forecast = await ForecastAsync(parse, ct);
            if (parse.GetValue(GlobalOptions.Json))
            {
                var json = JsonSerializer.SerializeToNode(report, JsonOutput.Options)!.AsObject();
                if (alerts is not null) json["alerts"] = JsonSerializer.SerializeToNode(alerts.Value.Alerts, JsonOutput.Options);
                if (alerts?.Problem is { } problem) json["alertsProblem"] = problem;
                json["restoreForecast"] = JsonSerializer.SerializeToNode(forecast, JsonOutput.Options);
                JsonOutput.Write(context, json);
            }
            else
            {
                context.Out.Write(Table(report));
                if (alerts is not null) context.Out.Write(AlertTable(alerts.Value.Alerts, alerts.Value.Problem));
                WriteForecast(context, forecast);
            }
            // A firing alert is something wrong too, whatever the probes saw.
            var firing = alerts?.Alerts.Any(a => a.State == "firing") == true;
            return report.AllHealthy && !firing ? 0 : CliApp.Failure;
        });
        return health;
    }

    public static Command CreateAssess(CliContext context)
    {
        var assess = new Command("assess", "probe the environment and classify the disaster level (critical, major, minor, none), with the restore forecast against its RTO") { SecurityBreach, EnvironmentOption.Stacks };
        AddStoreOptions(assess);
        assess.SetAction(async (parse, ct) =>
        {
            var report = await new EnvironmentProbe().ProbeAsync(await EnvironmentOption.ResolveAsync(context, parse, ct), ct);
            var forecast = await ForecastAsync(parse, ct);
            var assessment = DisasterAssessment.Assess(report, parse.GetValue(SecurityBreach));
            if (parse.GetValue(GlobalOptions.Json))
            {
                JsonOutput.Write(context, new
                {
                    level = assessment.LevelName,
                    rtoSeconds = assessment.Objective?.Rto.TotalSeconds,
                    rpoSeconds = assessment.Objective?.Rpo.TotalSeconds,
                    assessment.Reasons,
                    health = report,
                    restoreForecast = forecast,
                });
            }
            else
            {
                context.Out.Write(Table(report));
                context.Out.WriteLine($"level: {assessment.LevelName}" +
                    (assessment.Objective is { } o ? $" (RTO {o.Rto.TotalHours:0.#} h, RPO {o.Rpo.TotalMinutes:0} min)" : ""));
                foreach (var reason in assessment.Reasons) context.Out.WriteLine($"  - {reason}");
                WriteForecast(context, forecast);
            }
            return 0;
        });
        return assess;
    }

    /// <summary>
    /// The alerts Prometheus holds (pending and firing) when the local environment runs its
    /// monitoring; null without monitoring or for the stacks. An unreachable Prometheus is reported, not fatal.
    /// </summary>
    static async Task<(IReadOnlyList<ActiveAlert> Alerts, string? Problem)?> LocalAlertsAsync(ParseResult parse, CancellationToken ct)
    {
        if ((parse.GetValue(EnvironmentOption.Stacks) ?? []).Length > 0) return null;
        if (LocalEnvironmentState.TryLoad(Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!))?.Monitoring is not { } monitoring) return null;
        try
        {
            return (await new PrometheusApi(monitoring.PrometheusUrl).AlertsAsync(ct), null);
        }
        catch (Recovery.RecoveryException e)
        {
            return ([], e.Message);
        }
    }

    static string AlertTable(IReadOnlyList<ActiveAlert> alerts, string? problem)
    {
        if (problem is not null) return $"alerts: unknown ({problem})\n";
        if (alerts.Count == 0) return "alerts: none firing or pending\n";
        var table = new TextTable("alert", "state", "severity", "instance", "since (UTC)", "summary");
        foreach (var a in alerts.OrderBy(a => a.State == "firing" ? 0 : 1).ThenBy(a => a.Name))
            table.Add(a.Name, a.State, a.Severity, new[] { "instance", "store" }.Select(l => a.Labels.GetValueOrDefault(l)).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? "-",
                a.ActiveAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") ?? "-", a.Summary);
        return table.Render();
    }

    /// <summary>What the forecast looks at, or why it looked at nothing.</summary>
    public sealed record ForecastView(RestoreForecast? Forecast, string? Unknown);

    static void AddStoreOptions(Command command)
    {
        foreach (var option in new Option[] { StoreArguments.Store, StoreArguments.S3Endpoint, StoreArguments.S3PathStyle, StoreArguments.S3Region, StoreArguments.GcsEndpoint })
            command.Options.Add(option);
    }

    /// <summary>
    /// The forecast from --store, or from the local environment's backups. The stacks' store is read
    /// only when named with --store: reaching a cloud store is a deliberate act, never a side effect of a health probe.
    /// </summary>
    static async Task<ForecastView> ForecastAsync(ParseResult parse, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(parse.GetValue(StoreArguments.Store)) && (parse.GetValue(EnvironmentOption.Stacks) ?? []).Length > 0)
            return new ForecastView(null, "not checked: pass --store s3://… (the stacks' backup bucket) to forecast the restore of its newest backup");
        try
        {
            return await StoreArguments.RunAsync(parse, async store =>
                await RestoreForecast.ForNewestAsync(store, await new BackupCatalog(store).ScanAsync(ct), ct) is { } forecast
                    ? new ForecastView(forecast, null)
                    : new ForecastView(null, $"unknown: no complete backup in {store.Location}"));
        }
        catch (RecoveryException e)
        {
            return new ForecastView(null, $"unknown: {e.Message}");
        }
    }

    static void WriteForecast(CliContext context, ForecastView view)
    {
        if (view.Forecast is not { } f)
        {
            context.Out.WriteLine($"restore forecast: {view.Unknown}");
            return;
        }
        if (f.Expected is not { } e)
        {
            context.Out.WriteLine($"restore forecast: {f.Backup}: {f.Basis}");
            return;
        }
        var expected = $"{(int)e.TotalHours}:{e.Minutes:D2}:{e.Seconds:D2}";
        context.Out.WriteLine($"restore forecast: {f.Backup} in {expected} ({f.Basis})");
        foreach (var o in f.Objectives)
            context.Out.WriteLine($"  - {o.Level.ToString().ToLowerInvariant()} RTO {o.Rto.TotalHours:0.#} h: {(o.Met is { } met ? met ? "met" : "MISSED" : "unknown")}");
        foreach (var o in f.Missed)
            context.Error.WriteLine($"autovideo-dr: warning: restoring {f.Backup} is expected to take {expected}, more than the {o.Level.ToString().ToLowerInvariant()} RTO of {o.Rto.TotalHours:0.#} h");
    }

    static string Table(HealthReport report)
    {
        var table = new TextTable("component", "kind", "role", "status", "lag bytes", "lag s", "probe ms", "detail");
        foreach (var c in report.Components)
            table.Add(c.Name, c.Kind.ToString().ToLowerInvariant(), c.ExpectedRole?.Name() ?? "-", c.Status.ToString().ToLowerInvariant(),
                c.LagBytes?.ToString() ?? "-", c.LagSeconds is { } s ? s.ToString("0.###") : "-",
                c.ProbeDuration.TotalMilliseconds.ToString("0"), c.Detail);
        return table.Render();
    }
}
