using AutoVideo.DR.Recovery.Environments;

namespace AutoVideo.DR.Recovery.Stacks;

/// <summary>
/// The cloud counterpart of <c>LocalEnvironmentState.Describe()</c>: the environment made of one
/// or more stacks' outputs, for whatever reads an environment (health, backup, restore, runbooks).
/// </summary>
public static class StackEnvironment
{
    public static async Task<EnvironmentDescription> DescribeAsync(StackDriver driver, IReadOnlyList<string> stacks, CancellationToken ct)
    {
        if (stacks.Count == 0) throw new RecoveryException("no stack named to describe; accepted: one or more stack names, e.g. dr prod");
        var outputs = new List<StackOutputs>();
        foreach (var stack in stacks) outputs.Add(await driver.OutputsAsync(stack, ct));
        return StackOutputs.Describe(outputs);
    }
}
