using System.Text;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class PartCompressionTests
{
    [Theory]
    [InlineData("gzip", 6)]
    [InlineData("zstd", 1)]
    [InlineData("zstd", 19)]
    [InlineData("lz4", 0)]
    [InlineData("lz4", 9)]
    [InlineData("none", null)]
    public void Every_choice_round_trips_and_compresses_what_repeats(string algorithm, int? level)
    {
        var compression = PartCompression.Parse(algorithm, level);
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20000).Select(i => $"{i}\tvideo {i % 97}\t{{\"ok\": true}}\n")));

        var stored = new MemoryStream();
        using (var compress = compression.Compress(stored)) compress.Write(data);
        Assert.True(stored.CanWrite, "the store's stream must be left open");
        stored.Position = 0;
        var back = new MemoryStream();
        using (var decompress = compression.Decompress(stored)) decompress.CopyTo(back);

        Assert.Equal(data, back.ToArray());
        if (compression.Algorithm == CompressionAlgorithm.None) Assert.Equal(data.Length, stored.Length);
        else Assert.True(stored.Length < data.Length / 3, $"{compression}: {stored.Length} of {data.Length} bytes");
    }

    [Fact]
    public void The_default_is_zstd_level_1_and_an_unknown_level_falls_back_to_the_algorithms()
    {
        Assert.Equal(new PartCompression(CompressionAlgorithm.Zstd, 1), PartCompression.Default);
        Assert.Equal(new PartCompression(CompressionAlgorithm.Gzip, 1), PartCompression.Parse("GZIP", null));
        Assert.Equal(".zst", PartCompression.Default.Extension);
    }

    [Theory]
    [InlineData("brotli", null, "compression 'brotli' is not supported; accepted: gzip (levels 1-9), zstd (1-19), lz4 (0-12) or none")]
    [InlineData("gzip", 0, "compression level 0 is out of range for gzip")]
    [InlineData("zstd", 22, "compression level 22 is out of range for zstd")]
    [InlineData("none", 3, "compression level 3 is out of range for none")]
    public void Bad_choices_name_what_is_accepted(string algorithm, int? level, string message)
    {
        var e = Assert.Throws<RecoveryException>(() => PartCompression.Parse(algorithm, level));
        Assert.StartsWith(message, e.Message);
    }
}
