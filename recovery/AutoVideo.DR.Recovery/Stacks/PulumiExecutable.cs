namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>The pulumi program found on PATH; the stacks are driven only through it.</summary>
public sealed record PulumiExecutable(string Path)
{
    public static PulumiExecutable Locate()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(directory, "pulumi");
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return new PulumiExecutable(candidate);
        }
        throw new RecoveryException("the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) to drive the stacks, or omit --stack to use the local environment");
    }
}
