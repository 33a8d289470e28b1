using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stores;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// The stacks' own state and config as a part of a system recovery point, so that what <c>pulumi up -s dr</c>
/// needs survives the loss of the backend's copy: per stack, <c>pulumi stack export</c> (the deployment:
/// resources, their ids and outputs; secrets stay ciphertext of the stack's secrets provider) and
/// <c>pulumi config --json</c> (plain values; a secret's value is left out by pulumi itself), each a part
/// with size and SHA-256 like the others. Neither is ever asked with --show-secrets, and a part that holds
/// a decrypted secret anyway is refused before it is stored.
/// </summary>
public sealed partial class StackStateBackup(StackDriver driver, IReadOnlyList<string> stacks) : ISystemPartCapture
{
    public SystemPart Part => SystemPart.Stacks;

    public static string ExportPath(string stack) => $"{BackupPart.Folder}stacks/{stack}/deployment.json.gz";
    public static string ConfigPath(string stack) => $"{BackupPart.Folder}stacks/{stack}/config.json.gz";

    /// <summary>A stack name as this project's stacks are named (pulumi stack ls): letters, digits, '-', '_' and '.'; no organization or project prefix.</summary>
    public static string Validate(string stack, string option = "--stacks") =>
        StackName().IsMatch(stack)
            ? stack
            : throw new RecoveryException($"{option} '{stack}' is not a stack name; accepted: this project's stack names as 'pulumi stack ls' shows them (letters, digits, '-', '_', '.'), comma-separated, e.g. prod,dr,global");

    /// <summary>The stack names of an option's values (each may hold several, comma-separated), each checked, duplicates dropped.</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string> values, string option = "--stacks") =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).Select(s => Validate(s, option)).Distinct().ToList();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex StackName();

    public async Task<SystemPartCapture> CaptureAsync(string backupName, DateTimeOffset snapshotTime, IBackupStore store, CancellationToken ct)
    {
        var parts = new List<BackupPart>();
        foreach (var stack in stacks)
        {
            var export = await driver.ExportAsync(stack, ct);
            CheckExport(stack, export);
            var config = await driver.ConfigJsonAsync(stack, ct);
            CheckConfig(stack, config);
            parts.Add(await BackupWriter.WritePartAsync(store, backupName, ExportPath(stack), BackupPart.StackExport, StoredPart.Compression, (s, t) => s.WriteAsync(Encoding.UTF8.GetBytes(export), t).AsTask(), ct));
            parts.Add(await BackupWriter.WritePartAsync(store, backupName, ConfigPath(stack), BackupPart.StackConfig, StoredPart.Compression, (s, t) => s.WriteAsync(Encoding.UTF8.GetBytes(config), t).AsTask(), ct));
        }
        return new SystemPartCapture(parts);
    }

    /// <summary>Pulumi's mark of a secret value in a deployment: an object with this key and value holds "ciphertext" (or, decrypted, "plaintext").</summary>
    const string SecretSignatureKey = "4dabf18193072939515e22adb298388d";

    /// <summary>A deployment (version, deployment.resources) whose secrets are all still encrypted; else a one-line refusal.</summary>
    public static int CheckExport(string stack, string export)
    {
        try
        {
            using var document = JsonDocument.Parse(export);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("deployment", out var deployment) || !root.TryGetProperty("version", out _))
                throw new RecoveryException($"pulumi stack export of '{stack}' is not a deployment (no version and deployment)");
            if (Decrypted(root))
                throw new RecoveryException($"pulumi stack export of '{stack}' holds decrypted secret values; refusing to store them (the export is never asked with --show-secrets; check PULUMI_* settings that decrypt)");
            return deployment.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array ? resources.GetArrayLength() : 0;
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"pulumi stack export of '{stack}' is not JSON: {e.Message}");
        }
    }

    static bool Decrypted(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => (element.TryGetProperty(SecretSignatureKey, out _) && element.TryGetProperty("plaintext", out _))
            || element.EnumerateObject().Any(p => Decrypted(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(Decrypted),
        _ => false,
    };

    /// <summary>The config as pulumi printed it: key → plain value (text, or an object's JSON), and the secret keys, whose values it left out.</summary>
    public sealed record StackConfig(IReadOnlyDictionary<string, string> Plain, IReadOnlyList<string> SecretKeys);

    public static StackConfig CheckConfig(string stack, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new RecoveryException($"pulumi config --json of '{stack}' is not a JSON object");
            var plain = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var secrets = new List<string>();
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                var secret = entry.Value.TryGetProperty("secret", out var s) && s.ValueKind == JsonValueKind.True;
                var hasValue = entry.Value.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String;
                if (secret)
                {
                    if (hasValue || entry.Value.TryGetProperty("objectValue", out _))
                        throw new RecoveryException($"pulumi config --json of '{stack}' shows the value of secret '{entry.Name}'; refusing to store it (config is never read with --show-secrets)");
                    secrets.Add(entry.Name);
                }
                // An object is kept as its JSON text: config.getObject reads a value set that way alike.
                else if (entry.Value.TryGetProperty("objectValue", out var obj)) plain[entry.Name] = obj.GetRawText();
                else if (hasValue) plain[entry.Name] = value.GetString()!;
            }
            return new StackConfig(plain, secrets);
        }
        catch (JsonException e)
        {
            throw new RecoveryException($"pulumi config --json of '{stack}' is not JSON: {e.Message}");
        }
    }
}

/// <summary>What a stack restore did for one stack.</summary>
public sealed record StackRestored(string Stack, bool Created, int Resources, int ConfigKeys, IReadOnlyList<string> SecretKeysToSet);

/// <summary>
/// Writes the stacks' state back from a backup, only when asked (<c>restore --parts stacks</c>): every
/// stack's parts are read and checked (SHA-256, a deployment, config without secret values) first; a stack
/// the current backend already holds with resources is refused unless forced; then each stack is created
/// if missing (<c>pulumi stack init</c>), its deployment imported (<c>pulumi stack import --file</c>) and its
/// plain config set. Any failure undoes what the restore did (stacks it created are removed, imported ones
/// get their previous deployment and config back): nothing half-restored. Secret config values are not in
/// a backup; the stacks that need them are named.
/// </summary>
public sealed class StackStateRestore(StackDriver driver, Action<string> progress)
{
    sealed record Planned(string Stack, string Deployment, int Resources, StackStateBackup.StackConfig Config);

    /// <summary>What the restore changed on one stack, to undo: created it, imported over it (a failed import changes nothing), config keys set.</summary>
    sealed record Undo(string Stack, bool Created, string? PreviousDeployment, StackStateBackup.StackConfig? PreviousConfig, List<string> KeysSet)
    {
        public bool Imported { get; set; }
    }

    public async Task<IReadOnlyList<StackRestored>> RestoreAsync(IBackupStore store, BackupManifest manifest, IReadOnlyList<string>? only, bool force, CancellationToken ct)
    {
        var held = manifest.Stacks;
        if (held.Count == 0)
            throw new RecoveryException($"backup {manifest.Name} holds no stacks part; parts it holds: {string.Join(", ", manifest.SystemParts.Select(p => p.Name()))}");
        var chosen = only is { Count: > 0 } ? only : held;
        if (chosen.Except(held).ToList() is { Count: > 0 } unknown)
            throw new RecoveryException($"backup {manifest.Name} holds no state of stack {string.Join(", ", unknown)}; stacks it holds: {string.Join(", ", held)}");

        // Everything read and checked before the first change.
        var plan = new List<Planned>();
        foreach (var stack in chosen)
        {
            var deployment = Encoding.UTF8.GetString(await StoredPart.ReadAllAsync(store, manifest, manifest.Part(StackStateBackup.ExportPath(stack)), ct));
            var resources = StackStateBackup.CheckExport(stack, deployment);
            var config = StackStateBackup.CheckConfig(stack, Encoding.UTF8.GetString(await StoredPart.ReadAllAsync(store, manifest, manifest.Part(StackStateBackup.ConfigPath(stack)), ct)));
            plan.Add(new Planned(stack, deployment, resources, config));
        }
        var existing = await driver.StacksAsync(ct);
        var occupied = new List<string>();
        foreach (var p in plan.Where(p => existing.Contains(p.Stack)))
            if (StackStateBackup.CheckExport(p.Stack, await driver.ExportAsync(p.Stack, ct)) is var n and > 0) occupied.Add($"{p.Stack} ({n} resources)");
        if (occupied.Count > 0 && !force)
            throw new RecoveryException($"the current Pulumi backend already holds stack {string.Join(", ", occupied)}: importing the backup's state would replace what it records; pass --force to replace it, or log in to the backend to restore into ('pulumi login'); nothing was restored");

        var done = new List<Undo>();
        var results = new List<StackRestored>();
        var directory = Directory.CreateTempSubdirectory("avdr-stack-restore-").FullName;
        try
        {
            foreach (var p in plan)
            {
                var created = !existing.Contains(p.Stack);
                var undo = new Undo(p.Stack, created,
                    created ? null : await driver.ExportAsync(p.Stack, ct),
                    created ? null : StackStateBackup.CheckConfig(p.Stack, await driver.ConfigJsonAsync(p.Stack, ct)), []);
                if (created) await driver.InitAsync(p.Stack, ct);
                done.Add(undo);
                var file = Path.Combine(directory, p.Stack + ".json");
                await WritePrivateAsync(file, p.Deployment, ct);
                await driver.ImportAsync(p.Stack, file, ct);
                undo.Imported = true;
                File.Delete(file);
                foreach (var (key, value) in p.Config.Plain)
                {
                    undo.KeysSet.Add(key);
                    await driver.SetConfigAsync(p.Stack, key, value, secret: false, ct);
                }
                var target = created ? [] : undo.PreviousConfig!.SecretKeys;
                var toSet = p.Config.SecretKeys.Except(target).ToList();
                results.Add(new StackRestored(p.Stack, created, p.Resources, p.Config.Plain.Count, toSet));
                progress($"stack {p.Stack}: {(created ? "created, " : "")}{p.Resources} resources imported, {p.Config.Plain.Count} config values set");
            }
            return results;
        }
        catch (Exception e) when (e is RecoveryException or OperationCanceledException)
        {
            var (undone, all) = await UndoAsync(done, directory);
            var message = e is RecoveryException ? e.Message : "interrupted";
            throw new RecoveryException(all
                ? $"{message}; the stacks restore was undone ({undone}): nothing was restored"
                : $"{message}; undoing the stacks restore did not finish ({undone}): check those stacks with 'pulumi stack export' before anything else", e);
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Back to what the backend held: created stacks removed, imported ones given their previous deployment and config.</summary>
    async Task<(string Lines, bool All)> UndoAsync(IReadOnlyList<Undo> done, string directory)
    {
        var lines = new List<string>();
        var all = true;
        foreach (var u in done.Reverse())
        {
            try
            {
                if (u.Created)
                {
                    await driver.RemoveAsync(u.Stack, CancellationToken.None);
                    lines.Add($"{u.Stack} removed");
                    continue;
                }
                if (u.Imported)
                {
                    var file = Path.Combine(directory, u.Stack + ".previous.json");
                    await WritePrivateAsync(file, u.PreviousDeployment!, CancellationToken.None);
                    await driver.ImportAsync(u.Stack, file, CancellationToken.None);
                }
                foreach (var key in u.KeysSet)
                {
                    if (u.PreviousConfig!.Plain.TryGetValue(key, out var previous)) await driver.SetConfigAsync(u.Stack, key, previous, secret: false, CancellationToken.None);
                    else if (!u.PreviousConfig.SecretKeys.Contains(key)) await driver.RemoveConfigAsync(u.Stack, key, CancellationToken.None);
                }
                lines.Add(u.Imported ? $"{u.Stack} has its previous state and config" : $"{u.Stack} unchanged");
            }
            catch (RecoveryException e)
            {
                lines.Add($"{u.Stack} NOT undone: {e.Message}");
                all = false;
            }
        }
        return (lines.Count == 0 ? "no stack was touched" : string.Join("; ", lines), all);
    }

    /// <summary>A deployment may hold ciphertext and resource ids: readable by this user only, and removed after.</summary>
    static async Task WritePrivateAsync(string file, string text, CancellationToken ct)
    {
        await using var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
    }
}
