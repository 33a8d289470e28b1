using System.Diagnostics;

namespace AutoVideo.DR.Recovery.Runbooks;

/// <summary>
/// Fault injection for the interruption tests: AUTOVIDEO_DR_CRASH_AFTER_STEP=n kills the process
/// (SIGKILL, no cleanup) right after step n is journaled as done; AUTOVIDEO_DR_CRASH_IN_STEP=n
/// kills it after step n's action ran but before it is journaled. Unset, they do nothing.
/// </summary>
public static class CrashPoint
{
    public const string AfterStepVariable = "AUTOVIDEO_DR_CRASH_AFTER_STEP";
    public const string InStepVariable = "AUTOVIDEO_DR_CRASH_IN_STEP";

    public static void AfterStep(int step) => CrashIf(AfterStepVariable, step);

    public static void InStep(int step) => CrashIf(InStepVariable, step);

    static void CrashIf(string variable, int step)
    {
        if (Environment.GetEnvironmentVariable(variable) is { } value && int.TryParse(value, out var n) && n == step)
        {
            Console.Error.WriteLine($"autovideo-dr: {variable}={n}: killing the process");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }
}
