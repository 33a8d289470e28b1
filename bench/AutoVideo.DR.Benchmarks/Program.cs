using AutoVideo.DR.Benchmarks;

// Usage: AutoVideo.DR.Benchmarks drill [runs]  — prints a Markdown section on stdout, progress on stderr.
var runs = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 5;
if (args.FirstOrDefault() != "drill" || runs < 1)
{
    Console.Error.WriteLine("usage: AutoVideo.DR.Benchmarks drill [runs >= 1]");
    return 2;
}
Console.Write(await DrillBenchmark.RunAsync(runs, CancellationToken.None));
return 0;
