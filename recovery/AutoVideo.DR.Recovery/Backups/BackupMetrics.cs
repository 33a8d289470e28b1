using System.Globalization;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Prometheus text-format gauges, written to a textfile (node exporter's textfile collector) and,
/// when asked, pushed to a Pushgateway. Every backup, verify, restore and list updates its own
/// gauges and keeps the others, and the file is replaced atomically (temp + rename) so the
/// collector never reads half of it. monitoring/alerts.yaml reads the newest backup's timestamp,
/// the last success of backup and restore, and the restore's last run timestamp.
/// </summary>
public static class BackupMetrics
{
    public const string NewestAge = "autovideo_dr_backup_newest_age_seconds";
    public const string NewestSize = "autovideo_dr_backup_newest_size_bytes";
    public const string NewestTimestamp = "autovideo_dr_backup_newest_timestamp_seconds";
    public const string Count = "autovideo_dr_backup_count";
    public const string BackupSuccess = "autovideo_dr_backup_last_success";
    public const string BackupDuration = "autovideo_dr_backup_last_duration_seconds";
    public const string BackupTimestamp = "autovideo_dr_backup_last_run_timestamp_seconds";
    public const string VerifySuccess = "autovideo_dr_verify_last_success";
    public const string VerifyDuration = "autovideo_dr_verify_last_duration_seconds";
    public const string RestoreSuccess = "autovideo_dr_restore_last_success";
    public const string RestoreDuration = "autovideo_dr_restore_last_duration_seconds";
    public const string RestoreBackupAge = "autovideo_dr_restore_last_backup_age_seconds";
    public const string RestoreTimestamp = "autovideo_dr_restore_last_run_timestamp_seconds";

    public const string RestoreForecast = "autovideo_dr_restore_forecast_seconds";

    static readonly (string Name, string Help)[] Known =
    [
        (NewestAge, "Age of the newest complete backup when this file was written (+Inf when there is none)."),
        (NewestSize, "Stored size of the newest complete backup."),
        (NewestTimestamp, "Snapshot time of the newest complete backup (Unix seconds); time() minus this stays true between runs."),
        (Count, "Complete backups in the store."),
        (BackupSuccess, "1 if the last backup succeeded, 0 if it failed."),
        (BackupDuration, "Duration of the last backup."),
        (BackupTimestamp, "When the last backup attempt ended (Unix seconds)."),
        (VerifySuccess, "1 if the last verify found every part intact, 0 otherwise."),
        (VerifyDuration, "Duration of the last verify."),
        (RestoreSuccess, "1 if the last restore was committed with every table matching its manifest, 0 otherwise."),
        (RestoreDuration, "Duration of the last restore, verification included."),
        (RestoreBackupAge, "Age of the restored backup's snapshot at restore time: the RPO of that restore."),
        (RestoreTimestamp, "When the last restore attempt ended (Unix seconds)."),

        (RestoreForecast, "Expected time to restore the newest backup, verification included: its size over the throughput of the last committed restore (NaN: no restore measured yet)."),
    ];

    /// <summary>The catalog's gauges: newest backup's age, size and time, and how many there are.</summary>
    public static Dictionary<string, double> ForCatalog(IReadOnlyList<CatalogEntry> entries, DateTimeOffset now)
    {
        var newest = entries.FirstOrDefault(e => e.Manifest is not null);
        return new Dictionary<string, double>
        {
            [NewestAge] = newest is null ? double.PositiveInfinity : Math.Max(0, newest.Age(now).TotalSeconds),
            [NewestSize] = newest?.StoredSize ?? 0,
            [NewestTimestamp] = newest?.Time.ToUnixTimeMilliseconds() / 1000.0 ?? 0,
            [Count] = entries.Count(e => e.Manifest is not null),
        };
    }

    public static async Task UpdateAsync(string path, IReadOnlyDictionary<string, double> values, CancellationToken ct)
    {
        var current = await ReadAsync(path, ct);
        foreach (var (name, value) in values) current[name] = value;
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, Render(current), ct);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            // A write that failed (a full disk, a directory in the file's place) leaves no stray temp file.
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The gauges in Prometheus' text format, in the order of <see cref="Known"/>.</summary>
    internal static string Render(IReadOnlyDictionary<string, double> values)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (name, help) in Known)
        {
            if (!values.TryGetValue(name, out var value)) continue;
            text.Append($"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {Format(value)}\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Pushes <paramref name="values"/> to a Pushgateway as job <paramref name="job"/>, grouped by
    /// store, so the alerts can name the store whose backups are too old.
    /// </summary>
    public static Task PushAsync(Monitoring.Pushgateway gateway, string job, string store, IReadOnlyDictionary<string, double> values, CancellationToken ct) =>
        gateway.PushAsync(job, new Dictionary<string, string> { ["store"] = store }, Render(values), ct);

    public static async Task<Dictionary<string, double>> ReadAsync(string path, CancellationToken ct)
    {
        var values = new Dictionary<string, double>();
        if (!File.Exists(path)) return values;
        foreach (var line in await File.ReadAllLinesAsync(path, ct))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // A value that does not read (a file damaged by hand or by a full disk) is dropped and written anew.
            if (fields.Length == 2 && !line.StartsWith('#') && Known.Any(k => k.Name == fields[0]))
                if (fields[1] == "+Inf") values[fields[0]] = double.PositiveInfinity;
                else if (double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) values[fields[0]] = value;
        }
        return values;
    }

    static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("0.###", CultureInfo.InvariantCulture);
}
