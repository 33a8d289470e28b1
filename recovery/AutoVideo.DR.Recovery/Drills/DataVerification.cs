using System.Security.Cryptography;
using System.Text;
using AutoVideo.DR.Recovery.Drills.Workload;
using AutoVideo.DR.Recovery.Reports;

namespace AutoVideo.DR.Recovery.Drills;

/// <summary>
/// Compares, table by table, the rows of every acknowledged commit that the RPO accounting did not
/// already count as lost with what the new primary holds: row counts and a content fingerprint
/// (SHA-256 over id and content in id order). Any difference beyond the measured RPO fails.
/// </summary>
public static class DataVerification
{
    public static IReadOnlyList<TableVerification> Verify(CommitLedger ledger, RecoveredContent recovered, IReadOnlySet<long> lostCommits, IReadOnlyList<string>? tables = null)
    {
        var expected = ledger.Acknowledged.Where(c => !lostCommits.Contains(c.Sequence)).SelectMany(c => c.Rows)
            .GroupBy(r => r.Table).ToDictionary(g => g.Key, g => g.ToList());
        var results = new List<TableVerification>();
        foreach (var table in tables ?? WorkloadSchema.Tables)
        {
            var rows = expected.GetValueOrDefault(table) ?? [];
            var actual = recovered.Table(table);
            var found = rows.Where(r => actual.ContainsKey(r.Id)).ToList();
            var mismatched = found.Count(r => actual[r.Id] != r.Content);
            var expectedFingerprint = Fingerprint(rows.Select(r => (r.Id, r.Content)));
            var actualFingerprint = Fingerprint(found.Select(r => (r.Id, actual[r.Id])));
            var missing = rows.Count - found.Count;
            results.Add(new TableVerification(table, rows.Count, found.Count, missing, mismatched, expectedFingerprint, actualFingerprint,
                missing == 0 && mismatched == 0 && expectedFingerprint == actualFingerprint));
        }
        return results;
    }

    public static string Fingerprint(IEnumerable<(long Id, string Content)> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (id, content) in rows.OrderBy(r => r.Id))
            hash.AppendData(Encoding.UTF8.GetBytes($"{id}\t{content}\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
