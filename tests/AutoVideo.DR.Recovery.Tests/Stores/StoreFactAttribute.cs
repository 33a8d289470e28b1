using Xunit.Abstractions;
using Xunit.Sdk;

namespace AutoVideo.DR.Recovery.Tests.Stores;

/// <summary>
/// Marks a store contract test class that needs an external endpoint: when the variable is unset
/// its tests are reported as skipped, with this reason, instead of passing without running.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresEnvironmentAttribute(string variable, string reason) : Attribute
{
    public string Variable { get; } = variable;
    public string Reason { get; } = reason;
}

/// <summary>A contract test: a fact, skipped (with its reason) where the concrete class's <see cref="RequiresEnvironmentAttribute"/> is unmet.</summary>
[XunitTestCaseDiscoverer("AutoVideo.DR.Recovery.Tests.Stores.StoreFactDiscoverer", "AutoVideo.DR.Recovery.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo attribute)
    {
        var requirement = method.TestClass.Class.GetCustomAttributes(typeof(RequiresEnvironmentAttribute)).FirstOrDefault();
        var variable = requirement?.GetConstructorArguments().First() as string;
        var skip = variable is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))
            ? requirement!.GetConstructorArguments().Skip(1).First() as string
            : null;
        yield return new ConditionalTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, skip);
    }
}

public sealed class ConditionalTestCase : XunitTestCase
{
    string? skip;

    [Obsolete("for deserialization only")]
    public ConditionalTestCase() { }

    public ConditionalTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method, string? skip)
        : base(diagnostics, display, displayOptions, method) => this.skip = skip;

    protected override string? GetSkipReason(IAttributeInfo factAttribute) => skip ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("ConditionalSkip", skip);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        skip = data.GetValue<string>("ConditionalSkip");
        base.Deserialize(data);
    }
}
