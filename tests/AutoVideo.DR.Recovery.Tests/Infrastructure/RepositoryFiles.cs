namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>Files of the repository the tests were built from (found by walking up to AutoVideo.DR.sln).</summary>
public static class RepositoryFiles
{
    public static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(Path(parts));

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AutoVideo.DR.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no AutoVideo.DR.sln above {AppContext.BaseDirectory}");
    }
}
