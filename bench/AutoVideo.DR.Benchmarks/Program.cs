using AutoVideo.DR.Benchmarks;

// Usage: AutoVideo.DR.Benchmarks drill|detection [runs]  — prints a Markdown section on stdout, progress on stderr.
var runs = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 5;
var section = args.FirstOrDefault() switch
{
    "drill" when runs >= 1 => await DrillBenchmark.RunAsync(runs, CancellationToken.None),
    "detection" when runs >= 1 => await DetectionBenchmark.RunAsync(runs, CancellationToken.None),
    _ => null,
};
if (section is null)
{
    Console.Error.WriteLine("usage: AutoVideo.DR.Benchmarks drill|detection [runs >= 1]");
    return 2;
}
Console.Write(section);
return 0;
