using System.CommandLine;
using AutoVideo.DR.Recovery;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Local;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Cli;

/// <summary>
/// The options every backup command shares: which store (--store and its S3/GCS settings) and
/// where the metrics go (--metrics-file, --metrics-push). The default store is the local
/// environment's backup directory.
/// </summary>
public static class StoreArguments
{
    public static readonly Option<string?> Store = new("--store") { Description = "where backups are kept: a directory, s3://bucket/prefix or gs://bucket/prefix (default: the local environment's backup directory)" };
    public static readonly Option<string?> S3Endpoint = HttpUrl(new("--s3-endpoint") { Description = "an S3-compatible endpoint URL (default: AWS); credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" });
    public static readonly Option<bool> S3PathStyle = new("--s3-path-style") { Description = "address buckets by path (http://endpoint/bucket), as most S3-compatible servers need" };
    public static readonly Option<string?> S3Region = new("--s3-region") { Description = "the S3 region (default: AWS_REGION, else us-east-1)" };
    public static readonly Option<string?> GcsEndpoint = HttpUrl(new("--gcs-endpoint") { Description = "a Google Cloud Storage endpoint (an emulator; requests are then unauthenticated)" });

    /// <summary>An endpoint option checked by the parser: anything but an absolute http(s) URL is a usage error (exit 2), not an SDK's exception later.</summary>
    public static Option<string?> HttpUrl(Option<string?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value
                && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0))
                result.AddError($"{option.Name} '{value}' is not an endpoint URL; accepted: http://host:port or https://host");
        });
        return option;
    }
    public static readonly Option<S3LockMode> S3LockModeOption = new("--s3-lock-mode")
    {
        Description = "Object Lock mode of uploaded objects in a bucket with Object Lock: bucket (its default retention's mode; the default), governance or compliance",
        DefaultValueFactory = _ => S3LockMode.Bucket,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (Enum.TryParse<S3LockMode>(text, ignoreCase: true, out var mode) && !int.TryParse(text, out _)) return mode;
            result.AddError($"--s3-lock-mode '{text}' is not understood; accepted: bucket, governance, compliance");
            return default;
        },
    };

    /// <summary>Seconds, validated by the parser: a bad value is a usage error (exit 2) before anything runs.</summary>
    public static readonly Option<int> StoreTimeout = NumberOptions.Whole("--store-timeout",
        $"seconds an S3 or GCS endpoint may take to connect and to answer a request, before the command fails naming it (default {BackupStore.DefaultTimeout.TotalSeconds:0})",
        1, MaxTimeoutSeconds, (int)BackupStore.DefaultTimeout.TotalSeconds, "number of seconds");

    const int MaxTimeoutSeconds = 3600;

    public static readonly Option<string?> MetricsFile = new("--metrics-file") { Description = "the Prometheus textfile to update (default: <workdir>/metrics/autovideo_dr_backups.prom)" };
    public static readonly Option<string?> MetricsPush = MetricsPushOption();

    static Option<string?> MetricsPushOption()
    {
        var option = new Option<string?>("--metrics-push")
        {
            Description = "also push the metrics to this Prometheus Pushgateway (e.g. http://pushgateway:9091) as job autovideo-dr-<command>, grouped by store; a failed push is only a warning",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && Pushgateway.Problem(value) is { } problem)
                result.AddError($"--metrics-push {problem}");
        });
        return option;
    }

    public static void AddTo(Command command)
    {
        foreach (var option in new Option[] { Store, S3Endpoint, S3PathStyle, S3Region, S3LockModeOption, GcsEndpoint, StoreTimeout, MetricsFile, MetricsPush }) command.Options.Add(option);
    }

    public static IBackupStore Open(ParseResult parse)
    {
        var location = parse.GetValue(Store);
        if (string.IsNullOrWhiteSpace(location))
        {
            var workDirectory = parse.GetValue(GlobalOptions.WorkDirectory)!;
            location = LocalEnvironmentState.TryLoad(Path.GetFullPath(workDirectory))?.BackupDirectory
                ?? throw new RecoveryException($"no --store given and no local environment in {Path.GetFullPath(workDirectory)}; pass --store DIR|s3://bucket/prefix|gs://bucket/prefix or create one with 'autovideo-dr local up'");
        }
        var timeout = TimeSpan.FromSeconds(parse.GetValue(StoreTimeout));
        return BackupStore.Open(location, new StoreOptions(
            new S3StoreOptions(parse.GetValue(S3Endpoint), parse.GetValue(S3PathStyle), parse.GetValue(S3Region), Timeout: timeout, LockMode: parse.GetValue(S3LockModeOption)),
            new GcsStoreOptions(parse.GetValue(GcsEndpoint), timeout)));
    }

    /// <summary>
    /// Runs a command against the store it names and closes the store after. When the command fails
    /// for any reason (the store, the database, the disk, an interruption, a bug), <paramref name="failure"/>'s
    /// gauges are written before the error reaches the operator, so a failing cron job never leaves
    /// the last success standing.
    /// </summary>
    public static async Task<T> RunAsync<T>(ParseResult parse, Func<IBackupStore, Task<T>> run, Func<Dictionary<string, double>>? failure = null)
    {
        IBackupStore? store = null;
        try
        {
            store = Open(parse);
            return await run(store);
        }
        catch (Exception) when (failure is not null)
        {
            try { await RecordMetricsAsync(parse, failure(), CancellationToken.None); }
            catch (Exception e)
            {
                // The command's own error comes next and is what the operator must read.
                await (parse.InvocationConfiguration?.Error ?? Console.Error).WriteLineAsync($"autovideo-dr: warning: the failure was not recorded in the metrics: {e.Message.ReplaceLineEndings(" ")}");
            }
            throw;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Writes the gauges into the metrics file and, with --metrics-push, pushes them to the
    /// Pushgateway (job autovideo-dr-&lt;command&gt;, label store). A file that cannot be written and a
    /// push that fails are warnings on stderr: the backup or restore itself is the command's result,
    /// not its reporting.
    /// </summary>
    public static async Task RecordMetricsAsync(ParseResult parse, IReadOnlyDictionary<string, double> values, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration?.Error ?? Console.Error;
        var path = Path.GetFullPath(MetricsPath(parse));
        try
        {
            await BackupMetrics.UpdateAsync(path, values, ct);
        }
        catch (Exception e) when (FileFault.Describe(e) is { } fault)
        {
            await error.WriteLineAsync($"autovideo-dr: warning: metrics not written to {path}: {fault}; this run is missing from that file " +
                (FileFault.IsFull(e) ? "until space is freed there" : "(fix the path or choose another --metrics-file)"));
        }
        if (parse.GetValue(MetricsPush) is not { Length: > 0 } url) return;
        var job = "autovideo-dr-" + parse.CommandResult.Command.Name;
        try
        {
            await BackupMetrics.PushAsync(new Pushgateway(new Uri(url)), job, StoreLabel(parse), values, ct);
        }
        catch (RecoveryException e)
        {
            await error.WriteLineAsync($"autovideo-dr: warning: metrics not pushed: {e.Message}");
        }
    }

    /// <summary>The store as the alerts name it: --store as given (a directory made absolute), else the local environment's backup directory.</summary>
    static string StoreLabel(ParseResult parse)
    {
        var location = parse.GetValue(Store);
        if (string.IsNullOrWhiteSpace(location))
        {
            try { return LocalEnvironmentState.TryLoad(Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!))?.BackupDirectory ?? "none"; }
            catch (RecoveryException) { return "none"; }
        }
        return location.Contains("://") ? location : Path.GetFullPath(location);
    }

    public static string MetricsPath(ParseResult parse) =>
        parse.GetValue(MetricsFile) is { Length: > 0 } path
            ? path
            : Path.Combine(Path.GetFullPath(parse.GetValue(GlobalOptions.WorkDirectory)!), "metrics", "autovideo_dr_backups.prom");
}
