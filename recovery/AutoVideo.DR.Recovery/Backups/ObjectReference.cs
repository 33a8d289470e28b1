using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Media;
using AutoVideo.DR.Recovery.Postgres;
using Npgsql;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// A database column that holds object keys of a media bucket, e.g. video_projects.source_key →
/// uploads, render_jobs.output_key → generated: written <c>[schema.]table.column=purpose</c>.
/// </summary>
public sealed partial record ObjectReference(string Schema, string Table, string Column, MediaPurpose Purpose)
{
    public override string ToString() => $"{Schema}.{Table}.{Column}={Purpose.Name()}";

    public static ObjectReference Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success || MediaPurposes.TryParse(match.Groups["purpose"].Value) is not { } purpose)
            throw new RecoveryException($"--object-ref '{text}' is not understood; accepted: [schema.]table.column=uploads|models|generated, e.g. video_projects.source_key=uploads");
        return new ObjectReference(match.Groups["schema"].Success ? match.Groups["schema"].Value : "public", match.Groups["table"].Value, match.Groups["column"].Value, purpose);
    }

    [GeneratedRegex(@"^(?:(?<schema>[A-Za-z_][A-Za-z0-9_$]*)\.)?(?<table>[A-Za-z_][A-Za-z0-9_$]*)\.(?<column>[A-Za-z_][A-Za-z0-9_$]*)=(?<purpose>[a-z]+)$")]
    private static partial Regex Pattern();

    /// <summary>Every distinct non-null key the column holds.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = await DatabaseConnection.OpenAsync(connectionString, "restored", ct);
        await using var query = new NpgsqlCommand($"SELECT DISTINCT {SqlIdentifier.Quote(Column)}::text FROM {SqlIdentifier.Quote(Schema)}.{SqlIdentifier.Quote(Table)} WHERE {SqlIdentifier.Quote(Column)} IS NOT NULL", connection);
        var keys = new List<string>();
        try
        {
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
        }
        catch (PostgresException e)
        {
            throw new RecoveryException($"--object-ref {this}: {e.MessageText}");
        }
        return keys;
    }
}

/// <summary>One column's references checked against a bucket: how many keys, and which point at nothing (or at other bytes).</summary>
public sealed record ReferenceCheck(ObjectReference Reference, string Bucket, int Keys, IReadOnlyList<string> Dangling);

/// <summary>
/// Whether every object key the database references exists in its bucket at the version the
/// backup's inventory recorded: present now, and the current version is the recorded one (or a
/// copy with the same SHA-256, as a restore makes). A reference the inventory does not hold at all
/// is dangling too: the row points at a file that was not there when the backup was taken.
/// </summary>
public static class DanglingReferences
{
    public static async Task<IReadOnlyList<ReferenceCheck>> CheckAsync(string connectionString, IReadOnlyList<ObjectReference> references,
        MediaStore media, IReadOnlyDictionary<string, BucketInventory> inventories, CancellationToken ct)
    {
        using var client = MediaBuckets.Client(media);
        var checks = new List<ReferenceCheck>();
        var listings = new Dictionary<string, BucketVersions>();
        foreach (var reference in references)
        {
            var bucket = media.Buckets.FirstOrDefault(b => b.Purpose == reference.Purpose)?.Name
                ?? throw new RecoveryException($"--object-ref {reference}: the environment has no {reference.Purpose.Name()} bucket");
            if (!inventories.TryGetValue(bucket, out var inventory))
                throw new RecoveryException($"--object-ref {reference}: the backup holds no inventory of bucket '{bucket}'");
            if (!listings.TryGetValue(bucket, out var versions)) listings[bucket] = versions = await BucketVersions.ListAsync(client, bucket, "", null, ct);
            var recorded = inventory.Objects.ToDictionary(o => o.Key, StringComparer.Ordinal);
            var keys = await reference.KeysAsync(connectionString, ct);
            var dangling = new List<string>();
            foreach (var key in keys)
            {
                var current = versions.Current(key);
                var ok = recorded.TryGetValue(key, out var o) && current is not null
                    && (current.VersionId == o.VersionId
                        || (current.Size == o.Size && await ObjectChecksum.OfAsync(client, bucket, key, current.VersionId, ct) == o.Sha256));
                if (!ok) dangling.Add(key);
            }
            checks.Add(new ReferenceCheck(reference, bucket, keys.Count, dangling));
        }
        return checks;
    }
}
