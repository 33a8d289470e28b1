using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.UnitTests.PointInTime;

public sealed class PgBackRestTests
{
    static readonly IReadOnlyDictionary<string, string?> NoCredentials = new Dictionary<string, string?>();

    static Dictionary<string, string> Settings(PgBackRestRepository repository, IReadOnlyDictionary<string, string?>? environment = null) =>
        repository.Settings(environment ?? NoCredentials).ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void A_directory_store_holds_the_repository_in_its_pgbackrest_folder()
    {
        var repository = PgBackRestRepository.Parse(1, "/var/backups/autovideo", new RepositoryOptions());
        Assert.Equal(new Dictionary<string, string> { ["repo1-type"] = "posix", ["repo1-path"] = "/var/backups/autovideo/pgbackrest" }, Settings(repository));
    }

    [Fact]
    public void An_s3_store_with_a_test_endpoint_is_path_style_https_and_unverified_only_when_asked()
    {
        var repository = PgBackRestRepository.Parse(2, "s3://backups/env-1/", new RepositoryOptions("https://127.0.0.1:4443", S3PathStyle: true, S3Region: "ap-northeast-1", VerifyTls: false));
        var settings = Settings(repository, new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "AKIA1", ["AWS_SECRET_ACCESS_KEY"] = "s3cret" });
        Assert.Equal("s3", settings["repo2-type"]);
        Assert.Equal("/env-1/pgbackrest", settings["repo2-path"]);
        Assert.Equal("backups", settings["repo2-s3-bucket"]);
        Assert.Equal("127.0.0.1", settings["repo2-s3-endpoint"]);
        Assert.Equal("4443", settings["repo2-storage-port"]);
        Assert.Equal("path", settings["repo2-s3-uri-style"]);
        Assert.Equal("ap-northeast-1", settings["repo2-s3-region"]);
        Assert.Equal("n", settings["repo2-storage-verify-tls"]);
        Assert.Equal(("AKIA1", "s3cret"), (settings["repo2-s3-key"], settings["repo2-s3-key-secret"]));
        Assert.Equal("s3://backups/env-1/pgbackrest", repository.Describe());
    }

    [Fact]
    public void An_s3_store_on_aws_uses_the_regional_endpoint_and_the_instance_role_without_keys()
    {
        var settings = Settings(PgBackRestRepository.Parse(1, "s3://backups", new RepositoryOptions(S3Region: "ap-southeast-1")));
        Assert.Equal("s3.ap-southeast-1.amazonaws.com", settings["repo1-s3-endpoint"]);
        Assert.Equal("/pgbackrest", settings["repo1-path"]);
        Assert.Equal("host", settings["repo1-s3-uri-style"]);
        Assert.Equal("auto", settings["repo1-s3-key-type"]);
        Assert.False(settings.ContainsKey("repo1-storage-verify-tls"));
        Assert.False(settings.ContainsKey("repo1-s3-key"));
    }

    [Fact]
    public void A_gcs_store_uses_the_service_key_file_named_by_the_environment()
    {
        var settings = Settings(PgBackRestRepository.Parse(2, "gs://offsite/autovideo", new RepositoryOptions()),
            new Dictionary<string, string?> { ["GOOGLE_APPLICATION_CREDENTIALS"] = "/etc/gcp/key.json" });
        Assert.Equal(("gcs", "offsite", "/autovideo/pgbackrest"), (settings["repo2-type"], settings["repo2-gcs-bucket"], settings["repo2-path"]));
        Assert.Equal(("service", "/etc/gcp/key.json"), (settings["repo2-gcs-key-type"], settings["repo2-gcs-key"]));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "--s3-endpoint 'http://127.0.0.1:5000' cannot carry a pgBackRest repository; accepted: an https:// URL")]
    [InlineData("not a url", "accepted: an https:// URL")]
    public void An_endpoint_pgbackrest_cannot_speak_to_is_refused(string endpoint, string message)
    {
        var e = Assert.Throws<RecoveryException>(() => PgBackRestRepository.Parse(1, "s3://b/p", new RepositoryOptions(endpoint)));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("ftp://host/x", "unknown store 'ftp://host/x'")]
    [InlineData("s3://", "names no bucket")]
    [InlineData(" ", "the repository location is empty")]
    public void A_store_that_is_not_one_is_refused(string location, string message)
    {
        Assert.Contains(message, Assert.Throws<RecoveryException>(() => PgBackRestRepository.Parse(1, location, new RepositoryOptions())).Message);
    }

    [Fact]
    public void The_configuration_encrypts_and_retains_each_repository_and_names_no_node()
    {
        var setup = new PgBackRestSetup("/work/env/pgbackrest", "autovideo",
            [PgBackRestRepository.Parse(1, "/work/env/backups", new RepositoryOptions()), PgBackRestRepository.Parse(2, "/mnt/offsite", new RepositoryOptions())],
            PassphraseSource.Environment, DateTimeOffset.UnixEpoch);

        var lines = setup.ConfigText("correct horse battery staple", NoCredentials).Split('\n');

        foreach (var n in new[] { 1, 2 })
        {
            Assert.Contains($"repo{n}-cipher-type=aes-256-cbc", lines);
            Assert.Contains($"repo{n}-cipher-pass=correct horse battery staple", lines);
            Assert.Contains($"repo{n}-retention-full-type=time", lines);
            Assert.Contains($"repo{n}-retention-full=7", lines);
        }
        Assert.Contains("archive-async=y", lines);
        Assert.Contains("spool-path=/work/env/pgbackrest/spool", lines);
        Assert.Contains("pg1-socket-path=/work/env/pgbackrest/socket", lines);
        Assert.Contains("log-level-console=off", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("pg1-path") || l.StartsWith("pg1-port"));
    }

    [Fact]
    public void A_passphrase_on_two_lines_is_refused()
    {
        var setup = new PgBackRestSetup("/d", "autovideo", [PgBackRestRepository.Parse(1, "/s", new RepositoryOptions())], PassphraseSource.File, DateTimeOffset.UnixEpoch);
        Assert.Contains("one line of text", Assert.Throws<RecoveryException>(() => setup.ConfigText("a\nb", NoCredentials)).Message);
    }

    [Fact]
    public void Every_node_archives_with_its_own_data_directory_spool_and_lock()
    {
        var command = PgBackRest.ArchivePushCommand("/work/env/pgbackrest", "/work/env/pg-b");
        Assert.Contains("--config=\"/work/env/pgbackrest/pgbackrest.conf\" --stanza=autovideo --pg1-path=\"/work/env/pg-b\"", command);
        Assert.Contains("--spool-path=\"/work/env/pgbackrest/spool/pg-b\" --lock-path=\"/work/env/pgbackrest/lock/pg-b\" archive-push \"%p\"", command);
        Assert.EndsWith("--no-archive-async archive-get %f \"%p\"", PgBackRest.ArchiveGetCommand("/work/env/pgbackrest", "/work/env/pg-b"));
        Assert.Throws<RecoveryException>(() => PgBackRest.ArchivePushCommand("/work/it's", "/work/it's/pg-a"));
    }

    [Fact]
    public void Info_reads_backups_archive_and_repository_status_even_with_undecryptable_bytes_in_a_message()
    {
        var json = """
            [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000000000005","min":"000000010000000000000001"}],
              "backup":[{"archive":{"start":"000000010000000000000002","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},
                "database":{"id":1,"repo-key":1},"error":false,"info":{"delta":22992627,"repository":{"delta":2833760,"size":2833760},"size":22992627},
                "label":"20261125-192547F","lsn":{"start":"0/2000028","stop":"0/3000050"},"prior":null,"reference":null,
                "timestamp":{"start":1795634747,"stop":1795634750},"type":"full"}],
              "cipher":"aes-256-cbc","name":"autovideo",
              "repo":[{"cipher":"aes-256-cbc","key":1,"status":{"code":0,"message":"ok"}},
                      {"cipher":"aes-256-cbc","key":2,"status":{"code":99,"message":"[FormatError] key/value found outside of section at line 1: #CTRL#"}}]}]
            """.Replace("#CTRL#", "\u0001\u0008\u001f");

        var info = PgBackRestInfo.Parse("autovideo", json);

        var backup = Assert.Single(info.Backups);
        Assert.Equal(("20261125-192547F", PhysicalBackupType.Full, 1), (backup.Label, backup.Type, backup.Repository));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795634750), backup.Stopped);
        Assert.Equal(("0/3000050", "000000010000000000000002", 2833760L), (backup.StopLsn, backup.ArchiveStart, backup.RepositorySize));
        Assert.Equal("000000010000000000000005", Assert.Single(info.Archive).Max);
        Assert.True(info.StatusOf(1).Ok);
        Assert.Equal(99, info.StatusOf(2).Code);
    }

    [Fact]
    public void Output_that_is_not_info_is_one_line_error()
    {
        Assert.Contains("pgbackrest info returned output this tool cannot read", Assert.Throws<RecoveryException>(() => PgBackRestInfo.Parse("autovideo", "not json")).Message);
    }

    [Theory]
    [InlineData("2026-11-25 19:35:19.840 P00  ERROR: [049]: unable to connect to '127.0.0.1:1': [111] Connection refused", "is unreachable: unable to connect to '127.0.0.1:1': [111] Connection refused")]
    [InlineData("P00  ERROR: [101]: TLS error [1:167772454] unexpected eof while reading", "is unreachable: TLS error")]
    [InlineData("P00   WARN: repo1: [FormatError] unable to load info file '/r/backup/autovideo/backup.info' or '/r/backup/autovideo/backup.info.copy':\n                                    FormatError: key/value found outside of section at line 1: \u00ff\u00fe\u0001garbage\n                                    HINT: backup.info cannot be opened\nP00  ERROR: [075]: no backup set found to restore",
        "cannot be decrypted with this cipher passphrase")]
    [InlineData("P00  ERROR: [026]: raised from local-1 protocol: error restoring '/t/base/5/1255': actual checksum '02d59d046c2a8b833db1ac222d47db186a3edef8' does not match expected checksum 'adb7a4a7a6886be09982ada40de8e58a48dcb64a'\n                                    [ChecksumError] on retry after 0ms",
        "holds a damaged file: /t/base/5/1255 does not match its checksum in the backup manifest (SHA-1 02d59d046c2a…, expected adb7a4a7a688…)")]
    [InlineData("P00  ERROR: [055]: unable to open missing file '/x/global/pg_control' for read", "pgbackrest restore failed on repo1 (/s/pgbackrest): unable to open missing file")]
    public void A_pgbackrest_error_is_one_line_naming_the_repository_and_the_cause(string stderr, string expected)
    {
        var message = PgBackRest.Problem("restore", PgBackRestRepository.Parse(1, "/s", new RepositoryOptions()), new ProcessResult(26, "", stderr));
        Assert.Contains(expected, message);
        Assert.StartsWith(expected.StartsWith("pgbackrest") ? "pgbackrest" : "repo1 (/s/pgbackrest)", message);
        Assert.DoesNotContain("\n", message);
        Assert.DoesNotMatch(@"[^\u0020-\u007E…]", message);
    }
}
