using AutoVideo.DR.Recovery.Environments;
using AutoVideo.DR.Recovery.Local;
using System.CommandLine;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Which environment a command acts on. The local environment in --workdir is the default;
/// other sources (a Pulumi stack's outputs) plug in here.
/// </summary>
public static class EnvironmentOption
{
    public static EnvironmentDescription Resolve(ParseResult parse) =>
        LocalEnvironmentState.Load(parse.GetValue(GlobalOptions.WorkDirectory)!).Describe();
}
