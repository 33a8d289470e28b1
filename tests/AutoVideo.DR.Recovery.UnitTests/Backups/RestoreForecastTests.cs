using AutoVideo.DR.Recovery.Backups;
using AutoVideo.DR.Recovery.Objectives;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class RestoreForecastTests
{
    static RestoreTiming Measured(long bytes, double seconds) => new(DateTimeOffset.Parse("2026-11-20T03:00:00Z"), seconds, bytes, true, "db", []);

    [Fact]
    public void The_forecast_is_the_size_over_the_measured_throughput_checked_against_every_level()
    {
        // 10 GiB restored in 1000 s: 10.24 MiB/s. A 40 GiB backup takes 4000 s: misses the 1 h critical RTO only.
        var forecast = RestoreForecast.From("autovideo_backup_20261125T000000Z", 40L << 30, ("autovideo_backup_20261120T000000Z", Measured(10L << 30, 1000)));

        Assert.Equal(4000, forecast.Expected!.Value.TotalSeconds, 3);
        Assert.Equal([DisasterLevel.Critical], forecast.Missed.Select(m => m.Level));
        Assert.Equal([true, true], forecast.Objectives.Where(o => o.Level != DisasterLevel.Critical).Select(o => o.Met!.Value));
        Assert.Contains("autovideo_backup_20261120T000000Z", forecast.Basis);
    }

    [Fact]
    public void Without_a_measured_restore_the_forecast_is_unknown_never_zero()
    {
        var forecast = RestoreForecast.From("autovideo_backup_20261125T000000Z", 1 << 20, null);

        Assert.Null(forecast.Expected);
        Assert.StartsWith("unknown", forecast.Basis);
        Assert.All(forecast.Objectives, o => Assert.Null(o.Met));
        Assert.Empty(forecast.Missed);
    }
}
