#:project ../../recovery/AutoVideo.DR.Recovery/AutoVideo.DR.Recovery.csproj
#:property TreatWarningsAsErrors=false
// For scripts/bench-copy-read.sh: reads one table's text COPY out with STREAMS sessions at once, each
// the whole table, through Npgsql's raw copy stream (how the backup read before: full 64 KiB buffers,
// synchronous reads) and through LibPqSession (how it reads now), alternating which goes first, REPS
// times. Prints one Markdown table row per client: median wall seconds, median process CPU seconds.
//   dotnet run CopyRead.cs -- CONNECTION_STRING TABLE STREAMS REPS
using System.Diagnostics;
using AutoVideo.DR.Recovery.Backups;
using Npgsql;

var (connection, table, streams, reps) = (args[0], args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var sql = $"COPY {table} TO STDOUT";

async Task<long> ViaNpgsql()
{
    await using var session = await BackupSession.OpenAsync(connection, "source", default);
    using var copy = await session.BeginTextExportAsync(sql);
    var raw = ((StreamReader)copy).BaseStream;
    var buffer = new byte[1 << 16];
    long total = 0;
    int n;
    while (true)
    {
        var filled = 0;
        while (filled < buffer.Length && (n = raw.Read(buffer, filled, buffer.Length - filled)) > 0) filled += n;
        if (filled == 0) return total;
        total += filled;
    }
}

async Task<long> ViaLibPq()
{
    using var session = await BackupSession.OpenCopyAsync(connection, "source", default);
    return await session.CopyOutAsync(sql, Stream.Null, _ => { }, default);
}

var sides = new (string Name, Func<Task<long>> Read)[] { ("Npgsql raw copy stream", ViaNpgsql), ("libpq (LibPqSession)", ViaLibPq) };
var results = sides.ToDictionary(s => s.Name, _ => (Wall: new List<double>(), Cpu: new List<double>()));
long bytes = 0;
for (var rep = 0; rep < reps; rep++)
{
    foreach (var (name, read) in rep % 2 == 0 ? sides : sides.Reverse())
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var moved = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => Task.Run(read)));
        results[name].Wall.Add(clock.Elapsed.TotalSeconds);
        results[name].Cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        bytes = moved[0];
    }
}
static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
foreach (var (name, (wall, cpu)) in results)
    Console.WriteLine($"| {streams} | {name} | {Median(wall):0.00} | {Median(cpu):0.00} | {string.Join(" ", wall.Select(w => w.ToString("0.00")))} | {bytes / 1048576.0:0} |");
