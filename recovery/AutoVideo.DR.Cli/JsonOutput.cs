using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoVideo.DR.Cli;

/// <summary>--json results: indented camelCase, infinities as strings.</summary>
public static class JsonOutput
{
    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(CliContext context, object value) => context.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
