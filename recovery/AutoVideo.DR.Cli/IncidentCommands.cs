using System.CommandLine;
using AutoVideo.DR.Recovery.Incidents;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Cli;

/// <summary>
/// autovideo-dr incident status|update|abort: the incident record of the communication plan —
/// who declared what and when, each step's outcome, the status updates, the RTO/RPO achieved.
/// </summary>
public static class IncidentCommands
{
    static readonly Option<string?> Run = new("--run") { Description = "the run id (default: the latest run)" };
    static readonly Argument<string> Text = new("text") { Description = "the status update, e.g. \"standby promoted, verifying\"" };
    static readonly Argument<string> Reason = new("reason") { Description = "why the run is abandoned" };
    static readonly Option<string> Author = new("--author")
    {
        Description = "who posts it (default: $USER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : Environment.UserName,
    };

    public static Command Create(CliContext context)
    {
        var incident = new Command("incident", "the incident record: status, status updates, abort of an unfinished run");

        var status = new Command("status", "show the latest (or the given) run: level, who declared it, steps, updates, RTO/RPO") { Run };
        status.SetAction(parse =>
        {
            var (_, record) = Incident.Load(Directory(parse), parse.GetValue(Run));
            Print(context, record, parse.GetValue(GlobalOptions.Json));
            return 0;
        });

        var update = new Command("update", "add a timed status update to the running (else the latest) incident") { Text, Author };
        update.SetAction(parse =>
        {
            var (record, posted) = IncidentUpdates.Post(Directory(parse), parse.GetValue(Author)!, parse.GetValue(Text)!);
            context.Out.WriteLine($"{posted.At:yyyy-MM-dd HH:mm:ss}Z {posted.Author} on run {record.Header.RunId}: {posted.Text}");
            return 0;
        });

        var abort = new Command("abort", "end an unfinished run so that the next failover starts afresh instead of resuming it") { Reason, Author };
        abort.SetAction(parse =>
        {
            var record = IncidentUpdates.Abort(Directory(parse), parse.GetValue(Author)!, parse.GetValue(Reason)!);
            context.Out.WriteLine($"aborted run {record.Header.RunId} ({record.Header.Runbook}); steps done: {record.Steps.Count(s => record.IsDone(s.Number))} of {record.Steps.Count}");
            return 0;
        });

        incident.Subcommands.Add(status);
        incident.Subcommands.Add(update);
        incident.Subcommands.Add(abort);
        return incident;
    }

    static string Directory(ParseResult parse)
    {
        var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
        Recovery.Local.LocalEnvironmentState.CheckWorkDirectory(workDirectory);
        return Journal.DirectoryIn(workDirectory);
    }

    internal static void Print(CliContext context, Incident incident, bool json)
    {
        var h = incident.Header;
        if (json)
        {
            JsonOutput.Write(context, new
            {
                h.RunId, h.Runbook, h.Level, h.Target, h.DeclaredBy, incident.DeclaredAt, incident.Status, incident.EndedAt, incident.Resumes,
                rtoSeconds = incident.ActualRto?.TotalSeconds, dataLoss = incident.DataLoss,
                cacheRtoSeconds = incident.CacheRto?.TotalSeconds, cacheDataLoss = incident.CacheDataLoss,
                incident.Steps, incident.Updates,
            });
            return;
        }
        var objective = h.Level is { } level ? RecoveryObjective.For(level) : RecoveryObjective.PlannedFailback;
        context.Out.WriteLine($"{h.Runbook} {incident.Status.Name()}: run {h.RunId} on {h.Target}, declared by {h.DeclaredBy} at {incident.DeclaredAt:yyyy-MM-dd HH:mm:ss}Z{(incident.Resumes > 0 ? $", resumed {incident.Resumes}x" : "")}");
        context.Out.WriteLine($"RTO {Seconds(incident.ActualRto)}{($" (objective {objective.Rto.TotalHours:0.#} h)")}, " +
                              $"data loss {incident.DataLoss.Describe()} (objective {objective.Rpo.TotalMinutes:0} min)");
        if (incident.CacheDataLoss is { } cache)
            context.Out.WriteLine($"cache: recovered {Seconds(incident.CacheRto)}, data loss {cache.Describe()}");
        var table = new TextTable("#", "step", "outcome", "took", "output");
        foreach (var s in incident.Steps)
            table.Add(s.Number.ToString(), s.Id, s.Outcome.Name(), s.StartedAt is { } a && s.EndedAt is { } b ? $"{(b - a).TotalSeconds:0.0} s" : "-", s.Output ?? "");
        context.Out.Write(table.Render());
        foreach (var u in incident.Updates) context.Out.WriteLine($"update {u.At:HH:mm:ss}Z {u.Author}: {u.Text}");
    }

    static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.0} s" : "not yet";
}
