using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace AutoVideo.DR.Cli;

/// <summary>
/// Numeric options, checked by the parser: a value that is not a number, or out of range, is a usage
/// error (exit 2) naming the option, the value and what is accepted, before anything runs. Never a
/// silent zero or a negative count, never .NET's "Cannot parse argument … as System.Int32".
/// </summary>
public static class NumberOptions
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; absent, <paramref name="absent"/> (which may lie outside the range, e.g. 0 for "choose for me").</summary>
    public static Option<int> Whole(string name, string description, int min, int max, int absent, string what = "whole number") => new(name)
    {
        Description = $"{description} (accepted: {min} to {max})",
        DefaultValueFactory = _ => absent,
        CustomParser = result => ParseWhole(result, name, min, max, what) ?? absent,
    };

    /// <summary>As <see cref="Whole"/>, null when absent.</summary>
    public static Option<int?> OptionalWhole(string name, string description, int min, int max) => new(name)
    {
        Description = $"{description} (accepted: {min} to {max})",
        CustomParser = result => ParseWhole(result, name, min, max, "whole number"),
    };

    /// <summary>Seconds, fractions allowed, from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<double> Seconds(string name, string description, double min, double max, double absent) => new(name)
    {
        Description = $"{description} (default {absent.ToString(CultureInfo.InvariantCulture)}, accepted: {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})",
        DefaultValueFactory = _ => absent,
        CustomParser = result =>
        {
            var text = Token(result);
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value) && value >= min && value <= max)
                return value;
            result.AddError($"{name} '{text}' is not a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return absent;
        },
    };

    static int? ParseWhole(ArgumentResult result, string name, int min, int max, string what)
    {
        var text = Token(result);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError($"{name} '{text}' is not a {what} from {min} to {max}");
        return null;
    }

    static string Token(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
}
