using System.CommandLine;
using AutoVideo.DR.Recovery;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Cli;

/// <summary>
/// The autovideo-dr command line: builds the command tree, turns parse errors and
/// RecoveryExceptions into one-line messages with a non-zero exit, and runs the command.
/// Results go to stdout; logs and errors to stderr.
/// </summary>
public static class CliApp
{
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <summary>Where bugs go: the repository's issue tracker (the `issues` of the AutoVideo DR repository).</summary>
    public const string IssueTracker = "the AutoVideo DR repository's issue tracker";

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("AutoVideo DR: disaster recovery of the Auto Video System (drills, promotion, backups, runbooks)");
        root.Options.Add(GlobalOptions.WorkDirectory);
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Verbose);
        root.Subcommands.Add(LocalCommands.Create(context));
        root.Subcommands.Add(HealthCommands.CreateHealth(context));
        root.Subcommands.Add(HealthCommands.CreateAssess(context));
        root.Subcommands.Add(PromotionCommands.CreatePromote(context));
        root.Subcommands.Add(PromotionCommands.CreateRejoin(context));
        root.Subcommands.Add(DrillCommand.Create(context));
        root.Subcommands.Add(FailoverCommand.Create(context));
        root.Subcommands.Add(FailbackCommand.Create(context));
        root.Subcommands.Add(IncidentCommands.Create(context));
        root.Subcommands.Add(BackupCommand.Create(context));
        root.Subcommands.Add(BackupsCommands.Create(context));
        root.Subcommands.Add(RestoreCommand.Create(context));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancellation.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var verbose = args.Contains("--verbose") || args.Contains("-v");
            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
                // Logs are not results: all of them to stderr, so stdout stays what a script reads.
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddFilter(level => level >= (verbose ? LogLevel.Debug : LogLevel.Warning)));
            var context = new CliContext(stdout, stderr, loggerFactory);
            var root = Build(context);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized")) ?? parse.Errors[0];
                await stderr.WriteLineAsync($"autovideo-dr: error: {error.Message.TrimEnd('.')} (run 'autovideo-dr --help' for the commands and options)");
                return UsageError;
            }
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr }, cancellation.Token);
        }
        catch (RecoveryException e)
        {
            await stderr.WriteLineAsync($"autovideo-dr: error: {e.Message}");
            return Failure;
        }
        catch (Exception e) when (FileFault.Describe(e) is { } fault)
        {
            // A file operation the command did not name itself: .NET's message names the path.
            await stderr.WriteLineAsync($"autovideo-dr: error: {e.Message.ReplaceLineEndings(" ").TrimEnd('.')} ({fault}); " +
                (FileFault.IsFull(e) ? "free space there and run the command again" : "fix the path or its permissions and run the command again"));
            return Failure;
        }
        catch (Npgsql.PostgresException e)
        {
            // The server refused a statement the command did not expect to fail (full disk, permissions, a dropped object).
            await stderr.WriteLineAsync($"autovideo-dr: error: PostgreSQL refused: {e.MessageText} (SQLSTATE {e.SqlState}); see the server's log, fix the cause and run the command again");
            return Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Every failure the tool can foresee is a RecoveryException by now, so this is a bug: still
            // one line, saying where to report it; the stack only when asked for.
            var verbose = args.Contains("--verbose") || args.Contains("-v");
            await stderr.WriteLineAsync($"autovideo-dr: error: unexpected {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ").TrimEnd('.')}. " +
                $"This is a bug in autovideo-dr: please report it at {IssueTracker} with this line{(verbose ? " and the stack below" : " and the output of the same command with --verbose")}");
            if (verbose) await stderr.WriteLineAsync(e.ToString());
            return Failure;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("autovideo-dr: interrupted");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
