namespace AutoVideo.DR.Recovery.Tests.Security;

/// <summary>
/// Passwords never travel on the command line (every user can read it in /proc): a connection
/// string with one is refused by the parser without echoing it, and PGPASSWORD (or a passfile) is
/// what authenticates, on a server that really asks for a password.
/// </summary>
public sealed class PasswordTests
{
    [Theory]
    [InlineData("backup", "--from")]
    [InlineData("restore", "--target")]
    public async Task A_connection_string_with_a_password_is_refused_without_echoing_it(string command, string option)
    {
        using var work = new TemporaryDirectory();
        var result = await CliRunner.RunAsync(command, option, "Host=127.0.0.1;Port=5432;Username=app;Password=hunter2-secret;Database=autovideo", "--store", work.Path, "--workdir", work.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} carries a password, which every user of this machine can read on the command line; leave Password out and set PGPASSWORD", result.Error);
        Assert.DoesNotContain("hunter2-secret", result.Out + result.Error);
        Assert.False(Directory.Exists(work.Path), "a refused command line created something");
    }

    [Fact]
    public async Task PGPASSWORD_authenticates_a_backup_where_the_server_asks_for_a_password()
    {
        await using var environment = await OwnEnvironment.StartAsync();
        var primary = environment.Node(Recovery.Environments.NodeRole.Primary);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "CREATE ROLE app LOGIN SUPERUSER PASSWORD 'hunter2-secret'");
        // The role 'app' must give a password over TCP; everyone else keeps the environment's trust.
        var hba = Path.Combine(primary.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, "host all app 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba));
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "SELECT pg_reload_conf()");
        using var store = new TemporaryDirectory();
        Directory.CreateDirectory(store.Path);
        string[] args = ["backup", "--from", $"Host=127.0.0.1;Port={primary.Port};Username=app;Database=autovideo", "--store", store.Path, "--workdir", environment.WorkDirectory];

        var refused = await CliRunner.RunAsync(args, new Dictionary<string, string> { ["PGPASSWORD"] = "wrong", ["PGPASSFILE"] = "/nonexistent" });
        var allowed = await CliRunner.RunAsync(args, new Dictionary<string, string> { ["PGPASSWORD"] = "hunter2-secret" });

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("password authentication failed for user \"app\"", refused.Error);
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.DoesNotContain("hunter2-secret", allowed.Out + allowed.Error + refused.Error);
    }

    /// <summary>
    /// A password file, the other way --from and --target tell an operator to supply the password: it
    /// must reach every client a backup and a restore use, each of which reads it itself (Npgsql's
    /// control sessions, the libpq copy and read-back sessions, pg_dump).
    /// </summary>
    [Fact]
    public async Task A_password_file_authenticates_a_backup_and_its_restore_where_the_server_asks_for_a_password()
    {
        Assert.True(Environment.GetEnvironmentVariable("PGPASSWORD") is null, "this test needs PGPASSWORD unset: it would be used before the password file");
        await using var environment = await OwnEnvironment.StartAsync();
        var primary = environment.Node(Recovery.Environments.NodeRole.Primary);
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), """
            CREATE ROLE app LOGIN SUPERUSER PASSWORD 'hunter2-secret';
            CREATE TABLE ledger (id int PRIMARY KEY, note text);
            INSERT INTO ledger SELECT i, md5(i::text) FROM generate_series(1, 5000) i
            """);
        var hba = Path.Combine(primary.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, "host all app 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba));
        await Sql.ExecuteAsync(environment.ConnectionString("pg-a"), "SELECT pg_reload_conf()");
        using var work = new TemporaryDirectory();
        Directory.CreateDirectory(work.Path);
        var passfile = Path.Combine(work.Path, "pgpass");
        await File.WriteAllTextAsync(passfile, $"127.0.0.1:{primary.Port}:*:app:hunter2-secret\n");
        File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // libpq ignores a file others can read
        var store = Path.Combine(work.Path, "store");
        Directory.CreateDirectory(store);
        var withFile = new Dictionary<string, string> { ["PGPASSFILE"] = passfile };
        var wrongFile = Path.Combine(work.Path, "pgpass-wrong");
        await File.WriteAllTextAsync(wrongFile, $"127.0.0.1:{primary.Port}:*:app:not-the-password\n");
        File.SetUnixFileMode(wrongFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var backup = await CliRunner.RunAsync(["backup", "--from", $"Host=127.0.0.1;Port={primary.Port};Username=app;Database=autovideo", "--store", store, "--workdir", environment.WorkDirectory], withFile);
        var restore = await CliRunner.RunAsync(["restore", "--target", $"Host=127.0.0.1;Port={primary.Port};Username=app;Database=from_passfile", "--parts", "database", "--store", store, "--workdir", environment.WorkDirectory], withFile);
        var refused = await CliRunner.RunAsync(["backup", "--from", $"Host=127.0.0.1;Port={primary.Port};Username=app;Database=autovideo", "--store", store, "--workdir", environment.WorkDirectory],
            new Dictionary<string, string> { ["PGPASSFILE"] = wrongFile });

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(5000, await Sql.ScalarAsync<long>(new Npgsql.NpgsqlConnectionStringBuilder(environment.ConnectionString("pg-a")) { Database = "from_passfile" }.ConnectionString, "SELECT count(*) FROM ledger"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("password authentication failed for user \"app\"", refused.Error);
        Assert.DoesNotContain("hunter2-secret", backup.Out + backup.Error + restore.Out + restore.Error + refused.Error);
        Assert.DoesNotContain("not-the-password", refused.Out + refused.Error);
    }
}
