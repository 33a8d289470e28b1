using System.Globalization;
using AutoVideo.DR.Recovery.Monitoring;
using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>A sample as the Pushgateway exposes it to Prometheus: name, labels, value.</summary>
public sealed record ExposedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>The real prometheus-pushgateway on a free loopback port, started once for a test class.</summary>
public sealed class PushgatewayFixture : IAsyncLifetime
{
    static readonly HttpClient Http = new();
    readonly TemporaryDirectory directory = new();
    MonitoredProcess process = null!;

    public string Url => $"http://{process.Address}";

    public async Task InitializeAsync()
    {
        var port = FreePort.Pick();
        process = BackgroundProcess.Start("pushgateway", MonitoringComponent.Pushgateway, MonitoringPrograms.Locate().Pushgateway, port,
            [$"--web.listen-address=127.0.0.1:{port}"], directory.Combine("pushgateway.log"));
        await LocalMonitoring.WaitReadyAsync(process, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await BackgroundProcess.StopAsync(process, TimeSpan.FromSeconds(5), CancellationToken.None);
        directory.Dispose();
    }

    /// <summary>What Prometheus would scrape from the gateway now (its own go_/process_/push_ metrics left out).</summary>
    public async Task<IReadOnlyList<ExposedSample>> SamplesAsync(string prefix = "autovideo_dr_")
    {
        var text = await Http.GetStringAsync($"{Url}/metrics");
        return text.Split('\n').Where(l => l.StartsWith(prefix)).Select(Parse).ToList();
    }

    /// <summary>One line of the text format: name{a="x",b="y"} value.</summary>
    static ExposedSample Parse(string line)
    {
        var brace = line.IndexOf('{');
        var close = line.LastIndexOf('}');
        var labels = new Dictionary<string, string>();
        if (brace > 0)
            foreach (var pair in line[(brace + 1)..close].Split("\",", StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                labels[pair[..eq]] = pair[(eq + 2)..].TrimEnd('"');
            }
        var name = brace > 0 ? line[..brace] : line[..line.IndexOf(' ')];
        var value = line[(line.LastIndexOf(' ') + 1)..];
        return new ExposedSample(name, labels, value == "+Inf" ? double.PositiveInfinity : double.Parse(value, CultureInfo.InvariantCulture));
    }
}
