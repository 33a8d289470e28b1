namespace AutoVideo.DR.Recovery.Incidents;

/// <summary>
/// What the communication lead adds to a run from outside it: status updates with times, and
/// the abort that ends an unfinished run so the next failover starts afresh.
/// </summary>
public static class IncidentUpdates
{
    /// <summary>Appends a status update to the unfinished run, or else to the latest one.</summary>
    public static (Incident Incident, StatusUpdate Update) Post(string directory, string author, string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new RecoveryException("the status update is empty; give its text, e.g. autovideo-dr incident update \"standby promoted, verifying\"");
        var (journal, _) = Incident.Unfinished(directory) ?? Incident.Load(directory);
        var update = new StatusUpdate(DateTimeOffset.UtcNow, author, text.Trim());
        journal.Append(new JournalEntry(JournalKinds.StatusUpdate, update.At, Environment.ProcessId, Output: update.Text, Author: author));
        return (Incident.From(journal.Read()), update);
    }

    /// <summary>Ends the unfinished run; refused while a run holds the lock (it is still acting).</summary>
    public static Incident Abort(string directory, string author, string reason)
    {
        var (journal, incident) = Incident.Unfinished(directory)
            ?? throw new RecoveryException($"no unfinished run in {directory} to abort; see 'autovideo-dr incident status'");
        using var runLock = RunLock.Acquire(directory, $"autovideo-dr incident abort ({incident.Header.RunId})");
        journal.Append(new JournalEntry(JournalKinds.RunAborted, DateTimeOffset.UtcNow, Environment.ProcessId, Output: reason, Author: author));
        return Incident.From(journal.Read());
    }
}
