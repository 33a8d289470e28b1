using AutoVideo.DR.Recovery.PointInTime;
using AutoVideo.DR.Recovery.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoVideo.DR.Recovery.Local;

/// <summary>One repository's WAL archive as the check found it: its continuity, or why it could not be read.</summary>
public sealed record RepositoryArchive(int Repository, string Location, ArchiveContinuity? Continuity, string? Problem)
{
    public bool Intact => Problem is null && Continuity is { Intact: true };

    public string Describe() => $"repo{Repository} ({Location}): {Problem ?? Continuity?.Describe() ?? "no backup yet"}";
}

/// <summary>What the WAL archive holds: the continuous log backup ("交易日誌連續備份") a restore replays, in every repository.</summary>
public sealed record WalArchiveCheck(IReadOnlyList<RepositoryArchive> Repositories)
{
    public bool Intact => Repositories.Count > 0 && Repositories.All(r => r.Intact);

    public string Describe() => Repositories.Count == 0 ? "no WAL archive is configured" : string.Join("; ", Repositories.Select(r => r.Describe()));
}

/// <summary>
/// Reads pgBackRest's archive (not a directory of files: the segments are compressed, encrypted and
/// may sit in S3 or GCS) and checks, per repository, that every segment from the oldest backup's
/// start to the newest archived one is there.
/// </summary>
public static class WalArchive
{
    /// <param name="archiveDirectory">the environment's pgBackRest directory (<see cref="LocalEnvironmentState.ArchiveDirectory"/>).</param>
    public static async Task<WalArchiveCheck> CheckAsync(string archiveDirectory, CancellationToken ct)
    {
        var pgbackrest = new PgBackRest(PgBackRestSetup.Load(archiveDirectory), ServerAccount.Current(), NullLogger.Instance);
        var info = await pgbackrest.InfoAsync(ct);
        var repositories = new List<RepositoryArchive>();
        foreach (var repository in pgbackrest.Setup.Repositories)
        {
            var oldest = info.BackupsIn(repository.Number).FirstOrDefault();
            var status = info.StatusOf(repository.Number);
            if (!status.Ok && status.Code != 2)
            {
                repositories.Add(new RepositoryArchive(repository.Number, repository.Describe(), null, status.Message.Split('\n')[0]));
                continue;
            }
            try
            {
                var segments = await pgbackrest.ArchivedSegmentsAsync(repository.Number, ct);
                repositories.Add(new RepositoryArchive(repository.Number, repository.Describe(),
                    ArchiveContinuity.Check(segments, oldest is null ? null : WalSegment.Parse(oldest.ArchiveStart)), null));
            }
            catch (RecoveryException e)
            {
                repositories.Add(new RepositoryArchive(repository.Number, repository.Describe(), null, e.Message));
            }
        }
        return new WalArchiveCheck(repositories);
    }
}
