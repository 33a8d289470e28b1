using Xunit.Abstractions;
using Xunit.Sdk;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>The place of a test in a class whose tests share one environment and must run in this order.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>Runs a class's tests by their <see cref="StepAttribute"/> (xunit's default order is unspecified).</summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "AutoVideo.DR.Recovery.Tests.Infrastructure.StepOrderer";
    public const string AssemblyName = "AutoVideo.DR.Recovery.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName!)
            .Select(a => a.GetConstructorArguments().OfType<int>().First()).DefaultIfEmpty(int.MaxValue).First());
}
