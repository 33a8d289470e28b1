namespace AutoVideo.DR.Recovery.Backups;

/// <summary>The phases of a backup, verify or restore, in the order they run.</summary>
public enum TransferPhase
{
    /// <summary>Backup: the tables' data copied out of the snapshot (bytes on disk, exact: every page range is read).</summary>
    Copy,
    /// <summary>Backup: the schema (pg_dump's pre-data and post-data sections).</summary>
    Schema,
    /// <summary>Verify, and restore before it writes anything: every part's size and SHA-256 (stored bytes).</summary>
    Check,
    /// <summary>Restore: the tables' data loaded into the staging schemas (stored bytes).</summary>
    Load,
    /// <summary>Restore: every staged table read back and compared with the manifest (rows).</summary>
    Verify,
    /// <summary>Restore: indexes and keys built on the staged tables (statements).</summary>
    Indexes,
    /// <summary>Restore: the one transaction that swaps the staged schemas in (steps).</summary>
    Swap,
}

/// <summary>What a phase's Done and Total count.</summary>
public enum ProgressUnit
{
    Bytes,
    Rows,
    Steps,
}

/// <summary>
/// One phase's progress: Done of Total (exact totals: a restore's come from the manifest, a backup's
/// from the snapshot's page counts), how long it has run, and, before it starts, how long it is
/// expected to take when an earlier run measured it (null: no estimate).
/// </summary>
public sealed record PhaseProgress(TransferPhase Phase, ProgressUnit Unit, long Done, long Total, PhaseState State, TimeSpan Elapsed, TimeSpan? Expected)
{
    public string Name => Phase.ToString().ToLowerInvariant();
}

public enum PhaseState
{
    Pending,
    Running,
    Done,
}

/// <summary>How far a backup ("backup"), verify ("verify") or restore ("restore") has got, phase by phase.</summary>
public sealed record TransferProgress(string Operation, IReadOnlyList<PhaseProgress> Phases)
{
    public PhaseProgress Of(TransferPhase phase) => Phases.Single(p => p.Phase == phase);
}
