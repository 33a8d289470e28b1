using System.Text;
using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class RowFingerprintTests
{
    static RowFingerprint Of(params string[] chunks)
    {
        var fingerprint = new RowFingerprint();
        foreach (var chunk in chunks) fingerprint.Append(Encoding.UTF8.GetBytes(chunk));
        return fingerprint;
    }

    [Fact]
    public void Row_order_and_buffer_boundaries_do_not_change_the_fingerprint()
    {
        var a = Of("1\talpha\n2\tbeta\n3\tgamma\\nwith escaped newline\n");
        var b = Of("3\tgamma\\nwith esc", "aped newline\n2\tb", "eta\n1\talpha", "\n");

        Assert.Equal(3, a.Rows);
        Assert.Equal(a.Rows, b.Rows);
        Assert.Equal(a.Value, b.Value);
        Assert.StartsWith(RowFingerprint.Prefix, a.Value);
    }

    [Fact]
    public void Changed_missing_and_duplicated_rows_change_it()
    {
        var original = Of("1\talpha\n2\tbeta\n").Value;

        Assert.NotEqual(original, Of("1\talpha\n2\tbetb\n").Value);
        Assert.NotEqual(original, Of("1\talpha\n").Value);
        Assert.NotEqual(original, Of("1\talpha\n2\tbeta\n2\tbeta\n").Value);
        Assert.NotEqual(Of("x\n").Value, Of("x\nx\n").Value);
    }

    [Fact]
    public void Data_that_ends_inside_a_row_is_refused()
    {
        var e = Assert.Throws<RecoveryException>(() => Of("1\talpha\n2\tbe").Value);
        Assert.Contains("ended inside a row", e.Message);
    }

    [Fact]
    public void A_table_split_into_ranges_has_the_fingerprint_of_the_whole()
    {
        var whole = Of("1\ta\n2\tb\n3\tc\n4\td\n");
        var first = Of("3\tc\n1\ta\n");
        var second = Of("4\td\n2\tb\n");

        Assert.Equal((whole.Rows, whole.Value), RowFingerprint.Combine([(first.Rows, first.Value), (second.Rows, second.Value)]));
        Assert.NotEqual(whole.Value, RowFingerprint.Combine([(first.Rows, first.Value)]).Value);
        Assert.Throws<RecoveryException>(() => RowFingerprint.Combine([(1, "h64sum:42")]));
    }
}
