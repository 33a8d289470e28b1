using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoVideo.DR.Cli;

/// <summary>Every --json result: indented camelCase, enums in their one lower-case spelling, infinities as strings.</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write(CliContext context, object value) => context.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
