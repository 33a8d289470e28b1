using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Tests.Infrastructure;

/// <summary>One-statement SQL for test setup and assertions, through the library's own DatabaseConnection.</summary>
public static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql) =>
        (await DatabaseConnection.ScalarAsync<T>(connectionString, sql, CancellationToken.None))!;

    public static Task ExecuteAsync(string connectionString, string sql) =>
        DatabaseConnection.ExecuteAsync(connectionString, sql, CancellationToken.None);

    /// <summary>Polls until <paramref name="condition"/> holds, failing the test after <paramref name="seconds"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {seconds} s");
            await Task.Delay(50);
        }
    }
}
