using System.IO.Compression;
using System.Text.Json;

namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>
/// The stacks' state and config as a part of every backup, and their restore into a backend that lost
/// them, through the CLI against the pulumi stand-in and the shared local environment's database.
/// </summary>
[Collection(LocalEnvironmentCollection.Name)]
public sealed class StackStateTests(LocalEnvironmentFixture environment) : IDisposable
{
    const string WebhookToken = "https://hooks.example.com/services/T000/B000/secret-token-do-not-store";

    readonly PulumiStandIn pulumi = new();
    readonly TemporaryDirectory store = new();

    public void Dispose()
    {
        pulumi.Dispose();
        store.Dispose();
    }

    Task<CliResult> Cli(params string[] args) =>
        CliRunner.RunAsync([.. args, "--workdir", environment.WorkDirectory, "--store", store.Path], pulumi.Environment(), workingDirectory: pulumi.WorkDirectory);

    static string Part(string backup, string path)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(backup, path)), CompressionMode.Decompress);
        return new StreamReader(gzip).ReadToEnd();
    }

    async Task<string> BackupAsync(params string[] extra)
    {
        var result = await Cli(["backup", "--parts", "database,stacks", "--stacks", "prod,dr", "--stacks", "global", "--json", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement.GetProperty("name").GetString()!;
    }

    [Fact]
    public async Task Every_stacks_export_and_config_is_a_verified_part_of_the_backup_with_its_secrets_left_encrypted()
    {
        pulumi.SetSecretConfig("dr", "autovideo-dr:alertWebhookUrl", WebhookToken);

        var name = await BackupAsync();

        var folder = Path.Combine(store.Path, name);
        foreach (var stack in new[] { "prod", "dr", "global" })
        {
            var export = Part(folder, $"parts/stacks/{stack}/deployment.json.gz");
            using (var deployment = JsonDocument.Parse(export))
                Assert.Equal($"autovideo-{stack}", deployment.RootElement.GetProperty("deployment").GetProperty("resources")[1].GetProperty("id").GetString());
            Assert.Contains("\"ciphertext\"", export);
            Assert.DoesNotContain("plaintext", export);
        }
        var config = JsonDocument.Parse(Part(folder, "parts/stacks/dr/config.json.gz")).RootElement;
        Assert.Equal("standby", config.GetProperty("autovideo-dr:role").GetProperty("value").GetString());
        Assert.True(config.GetProperty("autovideo-dr:alertWebhookUrl").GetProperty("secret").GetBoolean());
        // The secret's value reached no file of the backup.
        foreach (var file in Directory.EnumerateFiles(folder, "*.gz", SearchOption.AllDirectories))
            Assert.DoesNotContain("secret-token", Part(folder, Path.GetRelativePath(folder, file)));
        // What reached pulumi: never a request to decrypt.
        var reads = pulumi.Calls.Where(c => c.StartsWith("stack export", StringComparison.Ordinal) || c.StartsWith("config --json", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, reads.Count);
        Assert.DoesNotContain(reads, c => c.Contains("--show-secrets"));

        var list = await Cli("backups", "list");
        Assert.Contains($"{name} ", list.Out);
        Assert.Contains("database+stacks", list.Out);
        var verify = await Cli("backups", "verify", name);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task A_restore_brings_lost_stacks_back_refuses_to_replace_existing_ones_unless_forced_and_undoes_a_failed_import()
    {
        pulumi.SetSecretConfig("dr", "autovideo-dr:alertWebhookUrl", WebhookToken);
        var name = await BackupAsync();
        var exported = Part(Path.Combine(store.Path, name), "parts/stacks/dr/deployment.json.gz");
        // The backend lost dr and global (a damaged or deleted state), prod is still there.
        pulumi.LoseStacks("dr", "global");

        var refused = await Cli("restore", name, "--parts", "stacks");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the current Pulumi backend already holds stack prod (2 resources)", refused.Error);
        Assert.Contains("pass --force to replace it", refused.Error);
        Assert.Equal(["prod"], pulumi.Stacks);

        var restored = await Cli("restore", name, "--parts", "stacks", "--stacks", "dr,global");

        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Equal(["prod", "dr", "global"], pulumi.Stacks);
        Assert.Equal(exported, pulumi.Imported("dr"));
        Assert.Equal("standby", pulumi.Config("dr", "autovideo-dr:role"));
        Assert.Equal("organization/autovideo-dr/prod", pulumi.Config("dr", "autovideo-dr:peerStack"));
        Assert.Contains("secret config not in the backup, set it again: autovideo-dr:alertWebhookUrl", restored.Out);
        Assert.Contains(pulumi.Calls, c => c.StartsWith("stack init dr", StringComparison.Ordinal));
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("stack import") && c.Contains("--stack prod"));

        // Forced over existing stacks, an import that fails puts every stack back as it was.
        pulumi.SetConfig("dr", "autovideo-dr:role", "primary");
        pulumi.Touch("fail-import-prod");
        var failed = await Cli("restore", name, "--parts", "stacks", "--force");

        Assert.Equal(1, failed.ExitCode);
        Assert.Single(failed.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("autovideo-dr: error:"));
        Assert.Contains("pulumi stack import on stack 'prod' failed", failed.Error);
        Assert.Contains("the stacks restore was undone (prod unchanged; global has its previous state and config; dr has its previous state and config): nothing was restored", failed.Error);
        Assert.Equal("primary", pulumi.Config("dr", "autovideo-dr:role"));
        Assert.Equal(["prod", "dr", "global"], pulumi.Stacks);
    }

    [Fact]
    public async Task A_stack_whose_export_holds_decrypted_secrets_fails_the_backup_and_leaves_no_complete_backup()
    {
        pulumi.Touch("export-plaintext");

        var result = await Cli("backup", "--stacks", "dr");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("pulumi stack export of 'dr' holds decrypted secret values; refusing to store them", result.Error);
        var list = await Cli("backups", "list", "--json");
        Assert.Equal(0, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());
    }

    [Theory]
    [InlineData(2, "--stacks 'organization/autovideo-dr/dr' is not a stack name; accepted:", "backup", "--stacks", "organization/autovideo-dr/dr")]
    [InlineData(2, "--parts names stacks but no --stacks names them", "backup", "--parts", "database,stacks")]
    [InlineData(2, "--stacks names stacks to back up but --parts 'database' leaves stacks out", "backup", "--parts", "database", "--stacks", "dr")]
    [InlineData(1, "--stacks names staging, which the current Pulumi backend does not hold (it holds: dr, global, prod)", "backup", "--stacks", "dr,staging")]
    [InlineData(2, "--stacks chooses among the stacks a restore brings back, but --parts does not name stacks", "restore", "--stacks", "dr")]
    [InlineData(2, "--prometheus-data is where a monitoring restore goes", "restore", "--prometheus-data", "/tmp/x")]
    [InlineData(1, "--parts names monitoring but the environment runs no monitoring", "backup", "--parts", "database,monitoring")]
    [InlineData(2, "--parts 'database,dashboards' is not understood; accepted: all, or a comma-separated list of database, cache, media, stacks, monitoring", "backup", "--parts", "database,dashboards")]
    public async Task Bad_stack_options_fail_in_one_line_before_anything_is_written(int exit, string message, params string[] args)
    {
        var result = await Cli(args);

        Assert.Equal(exit, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(store.Path) && Directory.EnumerateFileSystemEntries(store.Path).Any(), "something was written to the store");
    }

    [Fact]
    public async Task A_backup_without_stacks_or_without_a_named_stack_refuses_their_restore()
    {
        var backup = await Cli("backup", "--parts", "database", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var name = JsonDocument.Parse(backup.Out).RootElement.GetProperty("name").GetString()!;

        var none = await Cli("restore", name, "--parts", "stacks");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains($"backup {name} holds no stacks part; parts it holds: database", none.Error);
        var noMonitoring = await Cli("restore", name, "--parts", "monitoring");
        Assert.Equal(1, noMonitoring.ExitCode);
        Assert.Contains($"backup {name} holds no monitoring part; parts it holds: database", noMonitoring.Error);

        var withStacks = await BackupAsync();
        var unknown = await Cli("restore", withStacks, "--parts", "stacks", "--stacks", "staging");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains($"backup {withStacks} holds no state of stack staging; stacks it holds: dr, global, prod", unknown.Error);
        Assert.DoesNotContain(pulumi.Calls, c => c.StartsWith("stack import", StringComparison.Ordinal) || c.StartsWith("stack init", StringComparison.Ordinal));
    }
}
