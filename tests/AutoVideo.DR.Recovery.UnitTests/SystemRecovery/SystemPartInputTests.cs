using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Cache;
using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.UnitTests.SystemRecovery;

public sealed class SystemPartInputTests
{
    [Theory]
    [InlineData("all", null)]
    [InlineData("", null)]
    [InlineData("media,database", "database,media")]
    [InlineData(" cache , cache ", "cache")]
    public void Parts_parse_into_a_sorted_distinct_list_or_all(string text, string? expected) =>
        Assert.Equal(expected, SystemParts.Parse(text, "--parts") is { } parts ? string.Join(",", parts.Select(p => p.Name())) : null);

    [Theory]
    [InlineData("redis")]
    [InlineData("database;cache")]
    public void Unknown_parts_are_refused_naming_what_is_accepted(string text)
    {
        var e = Assert.Throws<RecoveryException>(() => SystemParts.Parse(text, "--parts"));
        Assert.Equal($"--parts '{text}' is not understood; accepted: all, or a comma-separated list of database, cache, media, stacks, monitoring", e.Message);
    }

    [Fact]
    public void Object_references_name_a_column_and_a_bucket_purpose()
    {
        Assert.Equal(new ObjectReference("public", "video_projects", "source_key", MediaPurpose.Uploads), ObjectReference.Parse("video_projects.source_key=uploads"));
        Assert.Equal(new ObjectReference("app", "renders", "output", MediaPurpose.Generated), ObjectReference.Parse("app.renders.output=generated"));
        foreach (var bad in new[] { "source_key=uploads", "t.c=videos", "t.c", "t.c;drop=uploads" })
            Assert.Contains("accepted: [schema.]table.column=uploads|models|generated", Assert.Throws<RecoveryException>(() => ObjectReference.Parse(bad)).Message);
    }

    [Fact]
    public void A_restored_cache_matches_when_only_keys_with_a_ttl_are_missing()
    {
        var recorded = new CacheContent(10, "xxh3sum:01", 4, "xxh3sum:02");
        Assert.Null(recorded.Mismatch(recorded));
        Assert.Null(recorded.Mismatch(new CacheContent(8, "xxh3sum:01", 2, "xxh3sum:99")));
        Assert.Contains("keys without expiry", recorded.Mismatch(new CacheContent(9, "xxh3sum:01", 4, "xxh3sum:02")));
        Assert.Contains("digest xxh3sum:ff instead of xxh3sum:01", recorded.Mismatch(new CacheContent(10, "xxh3sum:ff", 4, "xxh3sum:02")));
        Assert.Contains("keys with an expiry: digest", recorded.Mismatch(new CacheContent(10, "xxh3sum:01", 4, "xxh3sum:03")));
    }

    [Fact]
    public void Cache_endpoints_parse_host_and_port()
    {
        Assert.Equal(new CacheEndpoint("127.0.0.1", 6380), CacheEndpoint.Parse("127.0.0.1:6380"));
        Assert.Equal(new CacheEndpoint("cache.internal", 6379), CacheEndpoint.Parse("cache.internal"));
        Assert.Contains("accepted: host:port", Assert.Throws<RecoveryException>(() => CacheEndpoint.Parse("host:port")).Message);
    }
}
