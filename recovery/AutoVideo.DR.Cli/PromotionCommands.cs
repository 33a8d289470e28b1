using System.CommandLine;
using AutoVideo.DR.Recovery.Promotion;

namespace AutoVideo.DR.Cli;

/// <summary>autovideo-dr promote and rejoin: the local failover and its failback path.</summary>
public static class PromotionCommands
{
    static readonly Option<bool> BaseBackup = new("--base-backup") { Description = "take a fresh base backup instead of trying pg_rewind" };

    public static Command CreatePromote(CliContext context)
    {
        var promote = new Command("promote", "fence the old primary, promote the standby and wait until it accepts writes");
        promote.SetAction(async (parse, ct) =>
        {
            context.Progress("promoting the standby");
            var result = await new LocalPromotion(context.Logger<LocalPromotion>()).PromoteAsync(parse.GetValue(GlobalOptions.WorkDirectory)!, ct);
            if (parse.GetValue(GlobalOptions.Json)) JsonOutput.Write(context, result);
            else
            {
                context.Out.WriteLine($"promoted: {result.NewPrimary} (port {result.NewPrimaryPort}) accepts writes after {result.PromoteDuration.TotalMilliseconds:0} ms");
                context.Out.WriteLine($"fenced:   {result.OldPrimary}: {result.Fence.Method}");
            }
            return 0;
        });
        return promote;
    }

    public static Command CreateRejoin(CliContext context)
    {
        var rejoin = new Command("rejoin", "turn the fenced old primary into a streaming standby of the new primary (failback)") { BaseBackup };
        rejoin.SetAction(async (parse, ct) =>
        {
            context.Progress("rejoining the fenced node as a standby");
            var result = await new Rejoin(context.Logger<Rejoin>()).RejoinAsync(parse.GetValue(GlobalOptions.WorkDirectory)!, parse.GetValue(BaseBackup), ct);
            if (parse.GetValue(GlobalOptions.Json)) JsonOutput.Write(context, result);
            else context.Out.WriteLine($"rejoined: {result.Node} streams from {result.Primary} ({result.Method}, {result.Duration.TotalSeconds:0.0} s)");
            return 0;
        });
        return rejoin;
    }
}
