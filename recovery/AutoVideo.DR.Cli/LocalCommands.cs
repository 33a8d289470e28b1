using System.CommandLine;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr local up|down|status: the local primary/standby environment.</summary>
public static class LocalCommands
{
    static readonly Option<int?> Port = NumberOptions.OptionalWhole("--port", "the primary's loopback port (default: a free one)", 1024, 65535);
    static readonly Option<int?> StandbyPort = NumberOptions.OptionalWhole("--standby-port", "the standby's loopback port (default: a free one)", 1024, 65535);
    static readonly Option<string?> MediaEndpoint = StoreArguments.HttpUrl(new("--media-endpoint") { Description = "create versioned media buckets (uploads, models, generated) on this S3-compatible endpoint, e.g. a moto_server or MinIO on loopback; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" });
    static readonly Option<bool> KeepData = new("--keep-data") { Description = "stop the servers but keep the working directory" };
    static readonly Option<bool> Monitoring = new("--monitoring") { Description = "also run Prometheus (the repository's alert rules), a PostgreSQL exporter per node, Alertmanager and a Pushgateway on free loopback ports" };
    static readonly Option<string?> AlertWebhook = new("--alert-webhook") { Description = "with --monitoring: the URL Alertmanager posts notifications to (critical via receiver 'oncall', warnings via 'team')" };
    // Point-in-time recovery: where pgBackRest keeps its repositories (see PointInTimeCli).
    static readonly Option<string?> PitrStore = new("--pitr-store") { Description = "the store of pgBackRest's repository (repo1): a directory, s3://bucket/prefix or gs://bucket/prefix (default: the environment's backups/ directory)" };
    static readonly Option<string?> PitrOffsiteStore = new("--pitr-offsite-store") { Description = "a second, off-site repository (repo2) that WAL and backups also go to" };
    static readonly Option<string?> CipherPassFile = new("--cipher-pass-file") { Description = "a file (mode 600) holding the repositories' cipher passphrase (default: $AUTOVIDEO_DR_PITR_CIPHER_PASS, else a generated one kept in the pgBackRest configuration)" };
    static readonly Option<bool> S3NoVerifyTls = new("--s3-no-verify-tls") { Description = "do not verify the S3/GCS endpoint's certificate (a test endpoint with a self-signed one)" };

    public static Command Create(CliContext context)
    {
        var local = new Command("local", "create, inspect and remove the local primary/standby PostgreSQL environment");

        var up = new Command("up", "start a PostgreSQL 15 primary and a streaming standby, WAL archived by pgBackRest with a first full backup, a Redis primary and replica, and optionally the monitoring and media buckets")
        {
            Port, StandbyPort, Monitoring, AlertWebhook, MediaEndpoint,
            PitrStore, PitrOffsiteStore, CipherPassFile, StoreArguments.S3Endpoint, StoreArguments.S3PathStyle, StoreArguments.S3Region, StoreArguments.GcsEndpoint, S3NoVerifyTls,
        };
        up.Validators.Add(result =>
        {
            if (result.GetValue(AlertWebhook) is not { } url) return;
            if (!result.GetValue(Monitoring)) result.AddError("--alert-webhook needs --monitoring (the Alertmanager that posts to it)");
            else if (MonitoringConfiguration.WebhookProblem(url) is { } problem) result.AddError(problem);
        });
        up.SetAction(async (parse, ct) =>
        {
            var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
            context.Progress($"starting the local environment in {Path.GetFullPath(workDirectory)}{(parse.GetValue(Monitoring) ? " with monitoring" : "")}");
            var pointInTime = new PointInTimeOptions(parse.GetValue(PitrStore), parse.GetValue(PitrOffsiteStore),
                new RepositoryOptions(parse.GetValue(StoreArguments.S3Endpoint), parse.GetValue(StoreArguments.S3PathStyle), parse.GetValue(StoreArguments.S3Region),
                    parse.GetValue(StoreArguments.GcsEndpoint), VerifyTls: !parse.GetValue(S3NoVerifyTls)),
                parse.GetValue(CipherPassFile));
            var state = await new LocalEnvironment(context.Logger<LocalEnvironment>())
                .UpAsync(new LocalEnvironmentOptions(workDirectory, parse.GetValue(Port), parse.GetValue(StandbyPort), PointInTime: pointInTime,
                    Monitoring: parse.GetValue(Monitoring), AlertWebhook: parse.GetValue(AlertWebhook),
                    Media: parse.GetValue(MediaEndpoint) is { Length: > 0 } endpoint ? new Recovery.Media.MediaOptions(endpoint) : null), ct);
            Print(context, state, parse.GetValue(GlobalOptions.Json));
            PointInTimeCli.DescribeSetup(context, state);
            return 0;
        });

        var down = new Command("down", "stop every server of the local environment and remove its working directory") { KeepData };
        down.SetAction(async (parse, ct) =>
        {
            var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
            var stopped = await new LocalEnvironment(context.Logger<LocalEnvironment>()).DownAsync(workDirectory, parse.GetValue(KeepData), ct);
            context.Out.WriteLine($"stopped: {(stopped.Count == 0 ? "nothing was running" : string.Join(", ", stopped))}; {(parse.GetValue(KeepData) ? "kept" : "removed")} {Path.GetFullPath(workDirectory)}");
            return 0;
        });

        var status = new Command("status", "show the nodes of the local environment, their roles and whether they run (also of one a 'local up' left unfinished)");
        status.SetAction(parse =>
        {
            var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
            var state = LocalEnvironmentState.TryLoad(Path.GetFullPath(workDirectory))
                ?? throw new Recovery.RecoveryException($"no local environment in {Path.GetFullPath(workDirectory)}; create one with 'autovideo-dr local up'");
            Print(context, state, parse.GetValue(GlobalOptions.Json));
            return 0;
        });

        local.Subcommands.Add(up);
        local.Subcommands.Add(down);
        local.Subcommands.Add(status);
        return local;
    }

    /// <summary>yes / no, and for a server an unfinished up did not make ready, how far it got.</summary>
    static string Running(bool running, ServerSetup setup) => (running ? "yes" : "no") + setup switch
    {
        ServerSetup.Planned => " (not created yet)",
        ServerSetup.Created => " (created, not yet ready)",
        _ => "",
    };

    static void Print(CliContext context, LocalEnvironmentState state, bool json)
    {
        var nodes = state.Nodes.Select(n => new
        {
            n.Name,
            Role = n.Role.Name(),
            n.Port,
            Running = LocalEnvironment.Server(null, Recovery.Postgres.ServerAccount.Current(), n).IsRunning(),
            n.DataDirectory,
            n.Setup,
        }).ToList();
        var monitoring = state.Monitoring is { } m
            ? new
            {
                Prometheus = m.Has(MonitoringComponent.Prometheus) ? m.PrometheusUrl.ToString() : null,
                Alertmanager = m.Has(MonitoringComponent.Alertmanager) ? m.AlertmanagerUrl.ToString() : null,
                Pushgateway = m.Has(MonitoringComponent.Pushgateway) ? m.PushgatewayUrl.ToString() : null,
                m.AlertWebhook,
                Processes = m.Processes.Select(p => new { p.Name, p.Address, Running = p.IsRunning(), p.Pid, p.LogFile }).ToList(),
            }
            : null;
        var caches = (state.Caches ?? []).Select(c => new
        {
            c.Name, Role = c.Role.Name(), c.Port, Running = Recovery.Cache.LocalCache.Server(c).IsRunning(), c.Directory,
            c.Setup,
        }).ToList();
        if (json)
        {
            JsonOutput.Write(context, new
            {
                state.WorkDirectory, state.Database, state.ArchiveDirectory, state.BackupDirectory, state.Complete, state.Unfinished,
                ClientConnectionString = state.Describe().ClientConnectionString(), Nodes = nodes, Caches = caches, state.Media, Monitoring = monitoring,
            });
            return;
        }
        var table = new TextTable("node", "role", "port", "running", "data directory");
        foreach (var n in nodes) table.Add(n.Name, n.Role, n.Port.ToString(), Running(n.Running, n.Setup), n.DataDirectory);
        foreach (var c in caches) table.Add(c.Name, c.Role == "standby" ? "replica" : c.Role, c.Port.ToString(), Running(c.Running, c.Setup), c.Directory);
        context.Out.Write(table.Render());
        if (state.Unfinished is { } unfinished) context.Out.WriteLine($"unfinished: {unfinished}");
        if (state.Media is { } media)
            context.Out.WriteLine($"media ({media.Endpoint}): {string.Join(", ", media.Buckets.Select(b => $"{b.Purpose.Name()}={b.Name}"))}");
        if (state.Complete) context.Out.WriteLine($"clients: {state.Describe().ClientConnectionString()}");
        if (monitoring is null) return;
        var processes = new TextTable("monitoring", "address", "running", "log");
        foreach (var p in monitoring.Processes) processes.Add(p.Name, p.Address, p.Running ? "yes" : "no", p.LogFile);
        context.Out.Write(processes.Render());
        if (monitoring.Prometheus is null || monitoring.Pushgateway is null) return; // an unfinished up: the line above says so
        context.Out.WriteLine($"alerts: {monitoring.Prometheus}alerts (rules: {Path.Combine(state.Monitoring!.Directory, MonitoringConfiguration.RulesFile)}); " +
            $"notifications: {monitoring.AlertWebhook ?? "no webhook (see 'autovideo-dr health')"}; push backup metrics with --metrics-push {monitoring.Pushgateway.TrimEnd('/')}");
    }
}
