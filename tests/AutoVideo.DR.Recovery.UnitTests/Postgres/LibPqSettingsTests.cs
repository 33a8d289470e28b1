using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.UnitTests.Postgres;

/// <summary>The copy workers' libpq sessions and pg_dump reach the same server, as the same user, as the Npgsql connection string says.</summary>
public sealed class LibPqSettingsTests
{
    static Dictionary<string, string> Of(string connectionString) => LibPqSession.Settings(connectionString).ToDictionary(s => s.Keyword, s => s.Value);

    [Fact]
    public void Every_key_that_decides_the_server_the_user_or_the_channel_is_carried_over()
    {
        var settings = Of("Host=db.internal;Port=6432;Username=app;Password=s3cret;Database=autovideo;SSL Mode=VerifyFull;Root Certificate=/etc/ca.pem;SSL Certificate=/etc/c.pem;SSL Key=/etc/k.pem;Timeout=7;Application Name=dr;Options=-c search_path=x;Passfile=/etc/pgpass");

        Assert.Equal(new Dictionary<string, string>
        {
            ["host"] = "db.internal", ["port"] = "6432", ["user"] = "app", ["password"] = "s3cret", ["dbname"] = "autovideo",
            ["passfile"] = "/etc/pgpass", ["sslmode"] = "verify-full", ["sslrootcert"] = "/etc/ca.pem", ["sslcert"] = "/etc/c.pem",
            ["sslkey"] = "/etc/k.pem", ["connect_timeout"] = "7", ["application_name"] = "dr", ["options"] = "-c search_path=x",
            ["client_encoding"] = "UTF8",
        }, settings);
    }

    [Fact]
    public void Keys_left_out_are_left_to_libpq_so_the_environment_and_passfile_decide_as_they_do_for_Npgsql()
    {
        var settings = Of("Host=127.0.0.1;Port=5432");

        Assert.False(settings.ContainsKey("user"));
        Assert.False(settings.ContainsKey("password"));
        Assert.False(settings.ContainsKey("dbname"));
        // No TLS mode unless the string gives one: PGSSLMODE (or libpq's default) decides, never weakened.
        Assert.False(settings.ContainsKey("sslmode"));
        // Npgsql's default, said explicitly so both clients agree.
        Assert.Equal("15", settings["connect_timeout"]);
        Assert.Equal("UTF8", settings["client_encoding"]);
    }

    [Theory]
    [InlineData("Disable", "disable")]
    [InlineData("Allow", "allow")]
    [InlineData("Prefer", "prefer")]
    [InlineData("Require", "require")]
    [InlineData("VerifyCA", "verify-ca")]
    [InlineData("VerifyFull", "verify-full")]
    public void Each_SSL_mode_has_its_libpq_name(string npgsql, string libpq)
    {
        Assert.Equal(libpq, Of($"Host=h;SSL Mode={npgsql}")["sslmode"]);
        Assert.Equal(libpq, Of($"Host=h;SslMode={npgsql}")["sslmode"]);
    }

    [Fact]
    public void Several_hosts_keep_their_own_ports_and_the_session_kind_Npgsql_was_told_to_choose()
    {
        var settings = Of("Host=a:6000,b;Port=5433;Target Session Attributes=read-write");

        Assert.Equal("a,b", settings["host"]);
        Assert.Equal("6000,5433", settings["port"]);
        Assert.Equal("read-write", settings["target_session_attrs"]);
    }

    [Fact]
    public void A_session_kind_libpq_does_not_have_is_refused_naming_those_it_has()
    {
        var e = Assert.Throws<RecoveryException>(() => LibPqSession.Settings("Host=a,b;Target Session Attributes=prefer-primary"));

        Assert.Equal("Target Session Attributes=prefer-primary has no libpq equivalent; accepted: any, primary, standby, prefer-standby, read-write, read-only", e.Message);
    }

    [Theory]
    [InlineData(1, "2")]
    [InlineData(0, "0")]
    [InlineData(30, "30")]
    public void The_connect_timeout_keeps_its_meaning_within_what_libpq_accepts(int seconds, string expected) =>
        Assert.Equal(expected, Of($"Host=h;Timeout={seconds}")["connect_timeout"]);

    [Fact]
    public void Every_setting_has_the_environment_variable_pg_dump_reads()
    {
        var settings = LibPqSession.Settings("Host=h;Port=1;Username=u;Password=p;Database=d");

        Assert.Equal(["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGCONNECT_TIMEOUT", "PGCLIENTENCODING"], settings.Select(s => s.EnvironmentVariable));
    }

    [Theory]
    [InlineData("Port=5432;Username=app", "no Host")]
    [InlineData("Host=h;Port=notaport", "Couldn't set port")]
    public void An_unusable_connection_string_is_one_line_that_does_not_repeat_it(string connectionString, string expected)
    {
        var e = Assert.Throws<RecoveryException>(() => LibPqSession.Settings(connectionString + ";Password=hunter2"));

        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
