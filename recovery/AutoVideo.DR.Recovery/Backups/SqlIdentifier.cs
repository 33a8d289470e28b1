namespace AutoVideo.DR.Recovery.Backups;

public static class SqlIdentifier
{
    /// <summary>Quotes an identifier for SQL text: names come from catalogs and manifests, never trusted as bare SQL.</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
}
