using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The manifest on disk: indented JSON that ends with its own SHA-256 ("manifestSha256", computed
/// over the text with that value empty). A byte changed anywhere in it, a size, a row count or a
/// hash, is caught before the manifest is trusted; every path in it is checked to stay in its backup.
/// </summary>
public static partial class BackupManifestFile
{
    const string SealField = "manifestSha256";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Fields added after format 1 are left out when empty, so a format-1 reader's view of them stays null.
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = RecoveryJson.Resolver,
    };

    internal sealed record Sealed(BackupManifest Manifest, string ManifestSha256);

    public static byte[] Serialize(BackupManifest manifest)
    {
        var unsealed = JsonSerializer.Serialize(new Sealed(manifest, ""), Json);
        var seal = Hash(unsealed);
        return Encoding.UTF8.GetBytes(unsealed.Replace($"\"{SealField}\": \"\"", $"\"{SealField}\": \"{seal}\""));
    }

    public static BackupManifest Parse(string name, byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var seals = SealPattern().Matches(text);
        if (seals.Count != 1)
            throw new RecoveryException($"backup {name}: {BackupManifest.FileName} is damaged (its checksum field is missing or altered)");
        var unsealed = text.Remove(seals[0].Groups[1].Index, seals[0].Groups[1].Length);
        if (Hash(unsealed) != seals[0].Groups[1].Value)
            throw new RecoveryException($"backup {name}: {BackupManifest.FileName} is damaged (SHA-256 mismatch)");
        BackupManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Sealed>(text, Json)?.Manifest ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"backup {name}: {BackupManifest.FileName} is not a valid manifest ({e.Message})");
        }
        if (!BackupManifest.ReadableFormats.Contains(manifest.FormatVersion))
            throw new RecoveryException($"backup {name}: manifest format {manifest.FormatVersion} is not supported (this version reads formats {string.Join(", ", BackupManifest.ReadableFormats)})");
        if (manifest.Name != name)
            throw new RecoveryException($"backup {name}: its manifest names another backup ({manifest.Name})");
        foreach (var path in manifest.Parts.Select(p => p.Path).Concat(manifest.Tables.SelectMany(t => t.Pieces.Select(r => r.Part))))
            CheckPartPath(name, path);
        CheckPieces(name, manifest);
        return manifest;
    }

    /// <summary>
    /// A part holds one table or range, or is a pack whose slices follow each other from its first byte:
    /// a restore reads each part once and splits it by the slices, so pieces that overlap, leave a gap or
    /// share a part without slices would load one table's rows into another. A table of page ranges is
    /// loaded in one transaction of its own, so none of its ranges is a slice of a pack.
    /// </summary>
    public static void CheckPieces(string name, BackupManifest manifest)
    {
        if (manifest.Tables.FirstOrDefault(t => t.Ranges?.Any(r => r.Slice is not null) == true) is { } sliced)
            throw new RecoveryException($"backup {name}: table {sliced.DisplayName} is split into page ranges and one of them is a slice of a pack; a range is a part of its own (the manifest is damaged)");
        var pieces = manifest.Tables.SelectMany(t => t.Pieces.Select(p => (Table: t, Piece: p)));
        foreach (var part in pieces.GroupBy(p => p.Piece.Part, StringComparer.Ordinal))
        {
            var slices = part.ToList();
            if (slices.Count == 1 && slices[0].Piece.Slice is null) continue;
            long next = 0;
            foreach (var (table, piece) in slices.OrderBy(p => p.Piece.Slice?.Offset ?? -1))
            {
                if (piece.Slice is not { } slice)
                    throw new RecoveryException($"backup {name}: part {part.Key} is listed {slices.Count} times (for tables or their ranges), and {table.DisplayName} has no slice of it (the manifest is damaged)");
                if (slice.Offset != next || slice.Length < 0)
                    throw new RecoveryException($"backup {name}: table {table.DisplayName}'s slice of part {part.Key} is at byte {slice.Offset} for {slice.Length} bytes; " +
                        $"slices must follow each other from byte 0 ({next} expected there) (the manifest is damaged)");
                next = slice.Offset + slice.Length;
            }
        }
    }

    /// <summary>A part path must be a safe relative path under parts/: anything else could write or read outside the backup.</summary>
    public static void CheckPartPath(string name, string path)
    {
        if (!Stores.StoreKey.IsSafe(path) || !path.StartsWith(BackupPart.Folder, StringComparison.Ordinal))
            throw new RecoveryException($"backup {name}: unsafe path '{path}' rejected: it would leave the backup's {BackupPart.Folder} folder");
    }

    static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex("\"manifestSha256\": \"([0-9a-f]{64})\"")]
    private static partial Regex SealPattern();
}
