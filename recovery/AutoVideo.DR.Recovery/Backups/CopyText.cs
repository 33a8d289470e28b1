using System.Text;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// Moves text COPY data as bytes. Npgsql hands text COPY out as a StreamReader/StreamWriter over the
/// raw COPY stream; its BaseStream carries the same UTF-8 bytes (the connection's client encoding),
/// so reading and writing it directly skips a decode and re-encode of every byte. Where the reader
/// or writer is not stream-based the characters are converted instead.
/// </summary>
public static class CopyText
{
    const int BufferSize = 1 << 16;
    static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static async Task ToBytesAsync(TextReader copy, Stream output, Action<long> progress, CancellationToken ct)
    {
        if (copy is StreamReader { BaseStream: { CanRead: true } raw })
        {
            var bytes = new byte[BufferSize];
            int n;
            while ((n = await raw.ReadAsync(bytes, ct)) > 0)
            {
                await output.WriteAsync(bytes.AsMemory(0, n), ct);
                progress(n);
            }
            return;
        }
        await using var text = new StreamWriter(output, Utf8, BufferSize, leaveOpen: true);
        var chars = new char[BufferSize];
        int c;
        while ((c = await copy.ReadAsync(chars, ct)) > 0)
        {
            await text.WriteAsync(chars.AsMemory(0, c), ct);
            progress(c);
        }
    }

    public static async Task FromBytesAsync(Stream input, TextWriter copy, CancellationToken ct)
    {
        if (copy is StreamWriter { BaseStream: { CanWrite: true } raw })
        {
            await input.CopyToAsync(raw, BufferSize, ct);
            return;
        }
        using var text = new StreamReader(input, Utf8, detectEncodingFromByteOrderMarks: false, BufferSize);
        var chars = new char[BufferSize];
        int n;
        while ((n = await text.ReadAsync(chars, ct)) > 0) await copy.WriteAsync(chars.AsMemory(0, n), ct);
    }
}
