using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Shows long work on stderr: on a terminal one line refreshed in place (bytes and tables done,
/// rate, time left); otherwise (a log, a pipe, a cron job) a plain line every few seconds and per table.
/// </summary>
public sealed class ProgressDisplay(CliContext context) : IProgress<TransferProgress>, IDisposable
{
    readonly bool terminal = ReferenceEquals(context.Error, Console.Error) && !Console.IsErrorRedirected;
    readonly DateTime started = DateTime.UtcNow;
    readonly Lock gate = new();
    DateTime lastPlain = DateTime.MinValue;
    int lastTables = -1;
    bool drawn;

    public void Report(TransferProgress p)
    {
        lock (gate)
        {
            var elapsed = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
            var rate = p.BytesDone / elapsed;
            // The first second's rate says little (connections, schema dump): no estimate before it.
            var left = elapsed < 1 || rate <= 0 ? "estimating"
                : p.BytesTotal > p.BytesDone ? $"{Duration(TimeSpan.FromSeconds((p.BytesTotal - p.BytesDone) / rate))} left" : "finishing";
            var line = $"{p.Phase}: {Size(p.BytesDone)} of {(p.Phase == "backup" ? "~" : "")}{Size(p.BytesTotal)}, {p.TablesDone}/{p.TablesTotal} {(p.Phase == "verify" ? "parts" : "tables")}, {Size((long)rate)}/s, {left}";
            if (terminal)
            {
                context.Error.Write($"\r{line,-100}");
                drawn = true;
            }
            else if (p.TablesDone != lastTables || DateTime.UtcNow - lastPlain > TimeSpan.FromSeconds(5))
            {
                context.Progress(line);
                lastPlain = DateTime.UtcNow;
                lastTables = p.TablesDone;
            }
        }
    }

    static string Duration(TimeSpan t) => $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}";

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    public void Dispose()
    {
        lock (gate) if (drawn) context.Error.WriteLine();
    }
}
