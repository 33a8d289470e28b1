namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// How far a backup, verify or restore has got: bytes and tables done of the total. For a backup
/// BytesTotal is the tables' size on disk, an estimate; for verify and restore it is exact (part sizes).
/// </summary>
public sealed record TransferProgress(string Phase, long BytesDone, long BytesTotal, int TablesDone, int TablesTotal);
