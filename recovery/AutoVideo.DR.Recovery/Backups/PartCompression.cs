using System.IO.Compression;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>How a backup's parts are compressed.</summary>
public enum CompressionAlgorithm
{
    Gzip,
    Zstd,
    Lz4,
    None,
}

/// <summary>
/// The compression of every part of one backup, recorded in its manifest (a manifest without it is
/// of format 1: gzip). The default, zstd level 1, was measured against the alternatives on pgbench and
/// on mixed text/JSON data (docs/benchmarks.md): smaller than pg_dump's default gzip level 6 and
/// faster to write than gzip at its fastest level. zstd is ZstdSharp.Port (a managed port, no native
/// library), lz4 K4os.Compression.LZ4, gzip the framework's zlib.
/// </summary>
public sealed record PartCompression(CompressionAlgorithm Algorithm, int Level)
{
    public static readonly PartCompression Default = new(CompressionAlgorithm.Zstd, 1);

    /// <summary>What format-1 manifests (before compression was recorded) used.</summary>
    public static readonly PartCompression Legacy = new(CompressionAlgorithm.Gzip, 1);

    public const string Accepted = "gzip (levels 1-9), zstd (1-19), lz4 (0-12) or none";

    /// <summary>An algorithm and an optional level from the command line; a bad one is a one-line error naming what is accepted.</summary>
    public static PartCompression Parse(string algorithm, int? level)
    {
        var parsed = algorithm.Trim().ToLowerInvariant() switch
        {
            "gzip" => CompressionAlgorithm.Gzip,
            "zstd" => CompressionAlgorithm.Zstd,
            "lz4" => CompressionAlgorithm.Lz4,
            "none" => CompressionAlgorithm.None,
            _ => throw new RecoveryException($"compression '{algorithm}' is not supported; accepted: {Accepted}"),
        };
        var (min, max, fallback) = Range(parsed);
        var chosen = level ?? fallback;
        if (chosen < min || chosen > max)
            throw new RecoveryException($"compression level {chosen} is out of range for {parsed.ToString().ToLowerInvariant()}; accepted: {Accepted}");
        return new PartCompression(parsed, chosen);
    }

    static (int Min, int Max, int Default) Range(CompressionAlgorithm algorithm) => algorithm switch
    {
        CompressionAlgorithm.Gzip => (1, 9, 1),
        CompressionAlgorithm.Zstd => (1, 19, 1),
        CompressionAlgorithm.Lz4 => (0, 12, 0),
        _ => (0, 0, 0),
    };

    /// <summary>The file-name ending of a part compressed this way.</summary>
    public string Extension => Algorithm switch
    {
        CompressionAlgorithm.Gzip => ".gz",
        CompressionAlgorithm.Zstd => ".zst",
        CompressionAlgorithm.Lz4 => ".lz4",
        _ => "",
    };

    public override string ToString() => Algorithm == CompressionAlgorithm.None ? "none" : $"{Algorithm.ToString().ToLowerInvariant()} level {Level}";

    /// <summary>A stream that compresses into <paramref name="sink"/> (left open); dispose it to finish the frame.</summary>
    public Stream Compress(Stream sink) => Algorithm switch
    {
        CompressionAlgorithm.Gzip => new GZipStream(sink, new ZLibCompressionOptions { CompressionLevel = Level }, leaveOpen: true),
        CompressionAlgorithm.Zstd => new ZstdSharp.CompressionStream(sink, Level, leaveOpen: true),
        CompressionAlgorithm.Lz4 => LZ4Stream.Encode(sink, new LZ4EncoderSettings { CompressionLevel = (LZ4Level)Level }, leaveOpen: true),
        _ => new NonClosing(sink),
    };

    /// <summary>A stream that decompresses <paramref name="source"/> (left open).</summary>
    public Stream Decompress(Stream source) => Algorithm switch
    {
        CompressionAlgorithm.Gzip => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
        CompressionAlgorithm.Zstd => new ZstdSharp.DecompressionStream(source, leaveOpen: true),
        CompressionAlgorithm.Lz4 => LZ4Stream.Decode(source, leaveOpen: true),
        _ => new NonClosing(source),
    };

    /// <summary>"none": the part is the bytes themselves; disposing the wrapper leaves the store's stream to its owner.</summary>
    sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => inner.WriteAsync(buffer, ct);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.WriteAsync(buffer, offset, count, ct);
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
