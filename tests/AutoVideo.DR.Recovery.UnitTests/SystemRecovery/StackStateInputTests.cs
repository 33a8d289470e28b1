using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Stacks;

namespace AutoVideo.DR.Recovery.UnitTests.SystemRecovery;

public sealed class StackStateInputTests
{
    const string Signature = "\"4dabf18193072939515e22adb298388d\":\"1b47061264138c4ac30d75fd1eb44270\"";

    [Fact]
    public void Only_the_data_parts_come_back_by_default()
    {
        Assert.Equal([SystemPart.Database, SystemPart.Cache, SystemPart.Media], Enum.GetValues<SystemPart>().Where(p => p.RestoredByDefault()));
        Assert.Equal("database,stacks,monitoring", string.Join(",", SystemParts.Parse("monitoring,stacks,database", "--parts")!.Select(p => p.Name())));
    }

    [Theory]
    [InlineData("prod,dr", "prod,dr")]
    [InlineData(" dr , global ,dr", "dr,global")]
    [InlineData("staging-2.eu_west", "staging-2.eu_west")]
    public void Stack_names_are_this_projects_short_names(string text, string expected) =>
        Assert.Equal(expected, string.Join(",", StackStateBackup.Parse([text])));

    [Theory]
    [InlineData("organization/autovideo-dr/dr")]
    [InlineData("")]
    [InlineData("-dr")]
    [InlineData("dr;rm -rf /")]
    public void Anything_else_is_refused_naming_what_is_accepted(string text) =>
        Assert.StartsWith($"--stacks '{text.Split(',')[0].Trim()}' is not a stack name; accepted: this project's stack names",
            Assert.Throws<RecoveryException>(() => StackStateBackup.Parse([text])).Message);

    [Fact]
    public void An_export_counts_its_resources_and_is_refused_when_a_secret_in_it_is_decrypted()
    {
        var encrypted = """{"version":3,"deployment":{"resources":[{"urn":"a","outputs":{"k":{""" + Signature + ""","ciphertext":"v1:x"}}},{"urn":"b"}]}}""";
        Assert.Equal(2, StackStateBackup.CheckExport("dr", encrypted));
        var decrypted = encrypted.Replace("\"ciphertext\":\"v1:x\"", "\"plaintext\":\"\\\"hunter2\\\"\"");
        Assert.Contains("holds decrypted secret values; refusing to store them", Assert.Throws<RecoveryException>(() => StackStateBackup.CheckExport("dr", decrypted)).Message);
        Assert.Contains("is not a deployment", Assert.Throws<RecoveryException>(() => StackStateBackup.CheckExport("dr", "{\"resources\":[]}")).Message);
        Assert.Contains("is not JSON", Assert.Throws<RecoveryException>(() => StackStateBackup.CheckExport("dr", "error: not logged in")).Message);
    }

    [Fact]
    public void Config_keeps_plain_values_and_objects_as_their_json_text_and_only_the_names_of_secrets()
    {
        var config = StackStateBackup.CheckConfig("global", """
            {"autovideo-dr:primaryStack":{"value":"prod","secret":false},
             "autovideo-dr:environments":{"value":"[{\"stack\":\"prod\"}]","objectValue":[{"stack":"prod"}],"secret":false},
             "autovideo-dr:alertWebhookUrl":{"secret":true}}
            """);
        Assert.Equal("prod", config.Plain["autovideo-dr:primaryStack"]);
        Assert.Equal("""[{"stack":"prod"}]""", config.Plain["autovideo-dr:environments"]);
        Assert.Equal(["autovideo-dr:alertWebhookUrl"], config.SecretKeys);
        Assert.Contains("shows the value of secret 'autovideo-dr:alertWebhookUrl'; refusing to store it",
            Assert.Throws<RecoveryException>(() => StackStateBackup.CheckConfig("dr", """{"autovideo-dr:alertWebhookUrl":{"value":"https://hook","secret":true}}""")).Message);
    }

    [Fact]
    public void A_manifest_names_its_stacks_and_parts_from_the_parts_it_holds()
    {
        var manifest = new BackupManifest(1, "autovideo_backup_20261125T093452.123Z_9f2c4e1a", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            new BackupSource("h", 5432, "d", Recovery.Environments.NodeRole.Standby, "15.4", 150004), new SnapshotPoint("0/0", DateTimeOffset.UnixEpoch), [],
            [
                new BackupPart(StackStateBackup.ExportPath("prod"), BackupPart.StackExport, 1, "a"),
                new BackupPart(StackStateBackup.ConfigPath("prod"), BackupPart.StackConfig, 1, "b"),
                new BackupPart(StackStateBackup.ExportPath("dr"), BackupPart.StackExport, 1, "c"),
                new BackupPart(Recovery.Monitoring.PrometheusSnapshotBackup.PartPath, BackupPart.PrometheusSnapshot, 1, "d"),
            ],
            [], [], [], new LargeObjectsEntry(null, 0, ""));
        Assert.Equal(["dr", "prod"], manifest.Stacks);
        Assert.Equal([SystemPart.Database, SystemPart.Stacks, SystemPart.Monitoring], manifest.SystemParts);
    }
}
