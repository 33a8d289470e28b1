namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>
/// A fresh directory under /tmp, removed on dispose. /tmp rather than the test's own folder,
/// because as root the servers run as the postgres user, who must be able to reach it.
/// </summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine("/tmp", "avdr-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
