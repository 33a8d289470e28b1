using System.CommandLine;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.PointInTime;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr local up|down|status: the local primary/standby environment.</summary>
public static class LocalCommands
{
    static readonly Option<int?> Port = new("--port") { Description = "the primary's loopback port (default: a free one)" };
    static readonly Option<int?> StandbyPort = new("--standby-port") { Description = "the standby's loopback port (default: a free one)" };
    static readonly Option<bool> KeepData = new("--keep-data") { Description = "stop the servers but keep the working directory" };
    // Point-in-time recovery: where pgBackRest keeps its repositories (see PointInTimeCli).
    static readonly Option<string?> PitrStore = new("--pitr-store") { Description = "the store of pgBackRest's repository (repo1): a directory, s3://bucket/prefix or gs://bucket/prefix (default: the environment's backups/ directory)" };
    static readonly Option<string?> PitrOffsiteStore = new("--pitr-offsite-store") { Description = "a second, off-site repository (repo2) that WAL and backups also go to" };
    static readonly Option<string?> CipherPassFile = new("--cipher-pass-file") { Description = "a file (mode 600) holding the repositories' cipher passphrase (default: $AUTOVIDEO_DR_PITR_CIPHER_PASS, else a generated one kept in the pgBackRest configuration)" };
    static readonly Option<bool> S3NoVerifyTls = new("--s3-no-verify-tls") { Description = "do not verify the S3/GCS endpoint's certificate (a test endpoint with a self-signed one)" };

    public static Command Create(CliContext context)
    {
        var local = new Command("local", "create, inspect and remove the local primary/standby PostgreSQL environment");

        var up = new Command("up", "start a PostgreSQL 15 primary and a streaming standby, WAL archived by pgBackRest, and take the first full backup")
        {
            Port, StandbyPort, PitrStore, PitrOffsiteStore, CipherPassFile, StoreArguments.S3Endpoint, StoreArguments.S3PathStyle, StoreArguments.S3Region, StoreArguments.GcsEndpoint, S3NoVerifyTls,
        };
        up.SetAction(async (parse, ct) =>
        {
            var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
            context.Progress($"starting the local environment in {Path.GetFullPath(workDirectory)}");
            var pointInTime = new PointInTimeOptions(parse.GetValue(PitrStore), parse.GetValue(PitrOffsiteStore),
                new RepositoryOptions(parse.GetValue(StoreArguments.S3Endpoint), parse.GetValue(StoreArguments.S3PathStyle), parse.GetValue(StoreArguments.S3Region),
                    parse.GetValue(StoreArguments.GcsEndpoint), VerifyTls: !parse.GetValue(S3NoVerifyTls)),
                parse.GetValue(CipherPassFile));
            var state = await new LocalEnvironment(context.Logger<LocalEnvironment>())
                .UpAsync(new LocalEnvironmentOptions(workDirectory, parse.GetValue(Port), parse.GetValue(StandbyPort), PointInTime: pointInTime), ct);
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

        var status = new Command("status", "show the nodes of the local environment, their roles and whether they run");
        status.SetAction(parse =>
        {
            var state = LocalEnvironmentState.Load(parse.GetValue(GlobalOptions.WorkDirectory)!);
            Print(context, state, parse.GetValue(GlobalOptions.Json));
            return 0;
        });

        local.Subcommands.Add(up);
        local.Subcommands.Add(down);
        local.Subcommands.Add(status);
        return local;
    }

    static void Print(CliContext context, LocalEnvironmentState state, bool json)
    {
        var nodes = state.Nodes.Select(n => new
        {
            n.Name,
            Role = n.Role.Name(),
            n.Port,
            Running = LocalEnvironment.Server(null, Recovery.Postgres.ServerAccount.Current(), n).IsRunning(),
            n.DataDirectory,
        }).ToList();
        if (json)
        {
            JsonOutput.Write(context, new
            {
                state.WorkDirectory, state.Database, state.ArchiveDirectory, state.BackupDirectory,
                ClientConnectionString = state.Describe().ClientConnectionString(), Nodes = nodes,
            });
            return;
        }
        var table = new TextTable("node", "role", "port", "running", "data directory");
        foreach (var n in nodes) table.Add(n.Name, n.Role, n.Port.ToString(), n.Running ? "yes" : "no", n.DataDirectory);
        context.Out.Write(table.Render());
        context.Out.WriteLine($"clients: {state.Describe().ClientConnectionString()}");
    }
}
