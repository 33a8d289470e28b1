using System.Text;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Moves text COPY data into a table as bytes (reading COPY out is <see cref="Postgres.LibPqSession"/>'s).
/// Npgsql hands text COPY in as a StreamWriter over the raw COPY stream; its BaseStream takes the same
/// UTF-8 bytes (the connection's client encoding), so writing it directly skips a decode and re-encode
/// of every byte. Where the writer is not stream-based the characters are converted instead.
/// </summary>
public static class CopyText
{
    const int BufferSize = 1 << 16;
    static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Copies the input's bytes into the COPY: all of them, or, for a table's slice of a pack, the next
    /// <paramref name="length"/> (the input stays open and positioned at the next slice). A pack that ends
    /// inside a slice is damaged.
    /// </summary>
    public static async Task FromBytesAsync(Stream input, TextWriter copy, long? length, CancellationToken ct)
    {
        var source = length is { } n ? new Slice(input, n) : input;
        if (copy is StreamWriter { BaseStream: { CanWrite: true } raw })
        {
            await source.CopyToAsync(raw, BufferSize, ct);
            return;
        }
        using var text = new StreamReader(source, Utf8, detectEncodingFromByteOrderMarks: false, BufferSize, leaveOpen: true);
        var chars = new char[BufferSize];
        int read;
        while ((read = await text.ReadAsync(chars, ct)) > 0) await copy.WriteAsync(chars.AsMemory(0, read), ct);
    }

    /// <summary>The next <c>length</c> bytes of a stream, read-only; it leaves the stream open.</summary>
    sealed class Slice(Stream inner, long length) : Stream
    {
        long read;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (read == length || buffer.IsEmpty) return 0;
            return Took(inner.Read(buffer[..(int)Math.Min(buffer.Length, length - read)]));
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (read == length || buffer.IsEmpty) return 0;
            return Took(await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - read)], ct));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        int Took(int bytes)
        {
            if (bytes == 0) throw new InvalidDataException($"it ends {read} bytes into a table's slice of {length} bytes");
            read += bytes;
            return bytes;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
