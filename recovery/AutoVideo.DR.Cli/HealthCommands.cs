using System.CommandLine;
using AutoVideo.DR.Recovery.Health;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr health and assess: probe every component, and classify what is wrong into a disaster level.</summary>
public static class HealthCommands
{
    static readonly Option<bool> SecurityBreach = new("--security-breach") { Description = "declare a security breach (classified critical whatever the probes say)" };

    public static Command CreateHealth(CliContext context)
    {
        var health = new Command("health", "probe every component of the environment: reachability, role, replication lag") { EnvironmentOption.Stacks };
        health.SetAction(async (parse, ct) =>
        {
            var report = await new EnvironmentProbe().ProbeAsync(await EnvironmentOption.ResolveAsync(context, parse, ct), ct);
            if (parse.GetValue(GlobalOptions.Json)) JsonOutput.Write(context, report);
            else context.Out.Write(Table(report));
            return report.AllHealthy ? 0 : CliApp.Failure;
        });
        return health;
    }

    public static Command CreateAssess(CliContext context)
    {
        var assess = new Command("assess", "probe the environment and classify the disaster level (critical, major, minor, none)") { SecurityBreach, EnvironmentOption.Stacks };
        assess.SetAction(async (parse, ct) =>
        {
            var report = await new EnvironmentProbe().ProbeAsync(await EnvironmentOption.ResolveAsync(context, parse, ct), ct);
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
                });
            }
            else
            {
                context.Out.Write(Table(report));
                context.Out.WriteLine($"level: {assessment.LevelName}" +
                    (assessment.Objective is { } o ? $" (RTO {o.Rto.TotalHours:0.#} h, RPO {o.Rpo.TotalMinutes:0} min)" : ""));
                foreach (var reason in assessment.Reasons) context.Out.WriteLine($"  - {reason}");
            }
            return 0;
        });
        return assess;
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
