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
