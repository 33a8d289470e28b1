using AutoVideo.DR.Recovery.Stacks;
using Microsoft.Extensions.Logging;

namespace AutoVideo.DR.Cli;

/// <summary>What every command writes to: results to Out, progress and errors to Error, logs through Loggers.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, ILoggerFactory Loggers)
{
    public ILogger<T> Logger<T>() => Loggers.CreateLogger<T>();

    /// <summary>A progress line for the operator on stderr, so stdout stays the result.</summary>
    public void Progress(string line) => Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>The one way commands reach the Pulumi stacks: the pulumi CLI found on PATH (or PULUMI_BIN), run from here.</summary>
    public StackDriver Stacks() => new(PulumiExecutable.Locate(), null, Logger<StackDriver>());
}
