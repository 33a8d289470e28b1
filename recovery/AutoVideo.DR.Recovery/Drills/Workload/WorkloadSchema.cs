using AutoVideo.DR.Recovery.Postgres;

namespace AutoVideo.DR.Recovery.Drills.Workload;

/// <summary>
/// The tables the drill workload writes, shaped like the Auto Video System's own: users own video
/// projects, projects queue render jobs. Ids are chosen by the client, so a commit's rows are known
/// before the database acknowledges it.
/// </summary>
public static class WorkloadSchema
{
    public static readonly IReadOnlyList<string> Tables = ["users", "video_projects", "render_jobs"];

    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS users (
            id bigint PRIMARY KEY,
            email text NOT NULL,
            plan text NOT NULL,
            created_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS video_projects (
            id bigint PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users(id),
            title text NOT NULL,
            spec jsonb NOT NULL,
            created_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS render_jobs (
            id bigint PRIMARY KEY,
            project_id bigint NOT NULL REFERENCES video_projects(id),
            status text NOT NULL,
            frames integer NOT NULL,
            created_at timestamptz NOT NULL);
        """;

    /// <summary>Each table's columns in the order a row's content is fingerprinted.</summary>
    public static string SelectContent(string table) => table switch
    {
        "users" => "SELECT id, concat_ws('|', email, plan, created_at) FROM users",
        "video_projects" => "SELECT id, concat_ws('|', user_id, title, spec::text, created_at) FROM video_projects",
        "render_jobs" => "SELECT id, concat_ws('|', project_id, status, frames, created_at) FROM render_jobs",
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, null),
    };

    public static Task CreateAsync(string connectionString, CancellationToken ct) => DatabaseConnection.ExecuteAsync(connectionString, Ddl, ct);
}
