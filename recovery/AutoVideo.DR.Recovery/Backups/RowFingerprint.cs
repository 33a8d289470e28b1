using System.IO.Hashing;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// The content fingerprint of a table's rows, computed from its text COPY output: the row count
/// and the sum (mod 2^64) of each row's XxHash3. Text COPY ends every row with a newline and escapes
/// newlines inside values, so rows split exactly; the sum does not depend on row order (a restored
/// table's physical order differs) and still counts duplicate rows. A check against damage and
/// bugs, not against an adversary: the parts' SHA-256 is for that.
/// </summary>
public sealed class RowFingerprint
{
    public const string Prefix = "xxh3sum:";

    readonly XxHash3 spanning = new();
    bool inRow;
    ulong sum;

    public long Rows { get; private set; }

    /// <summary>Feeds the next bytes of COPY output, in order; rows may span calls.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                spanning.Append(data);
                inRow = true;
                return;
            }
            if (inRow)
            {
                spanning.Append(data[..end]);
                sum += spanning.GetCurrentHashAsUInt64();
                spanning.Reset();
                inRow = false;
            }
            else
            {
                // Most rows lie inside one buffer: hash them in one call, without the incremental state.
                sum += XxHash3.HashToUInt64(data[..end]);
            }
            Rows++;
            data = data[(end + 1)..];
        }
    }

    /// <summary>
    /// The fingerprint of a table from those of its parts (page ranges): row counts add up, and so do
    /// the sums, since the sum does not depend on which rows went where.
    /// </summary>
    public static (long Rows, string Value) Combine(IEnumerable<(long Rows, string Value)> parts)
    {
        long rows = 0;
        ulong total = 0;
        foreach (var (r, value) in parts)
        {
            if (!value.StartsWith(Prefix, StringComparison.Ordinal) || !ulong.TryParse(value.AsSpan(Prefix.Length), System.Globalization.NumberStyles.HexNumber, null, out var sum))
                throw new RecoveryException($"'{value}' is not a row fingerprint ({Prefix}<16 hex digits>)");
            rows += r;
            total += sum;
        }
        return (rows, $"{Prefix}{total:x16}");
    }

    public string Value => inRow
        ? throw new RecoveryException("COPY data ended inside a row (no final newline)")
        : $"{Prefix}{sum:x16}";
}
