using System.Runtime.InteropServices;
using Npgsql;

namespace AutoVideo.DR.Recovery.Postgres;

/// <summary>One libpq connection parameter, with the environment variable the client programs (pg_dump) read it from.</summary>
public sealed record LibPqSetting(string Keyword, string EnvironmentVariable, string Value);

/// <summary>
/// A session on libpq, PostgreSQL's C client library (the one pg_dump and pg_restore use, installed
/// with them), for the one job where the client's cost per row decides the speed: reading a table's
/// COPY out, which the server sends as one message per row. On the million rows of pgbench scale 10
/// (scripts/bench-copy-read.sh, docs/benchmarks.md) Npgsql's copy stream spent 0.41 s of CPU and libpq
/// 0.15 s; two sessions at once took 0.66 s against 0.42 s, as the CPU Npgsql spends is taken from the
/// servers on the same cores. Everything else (queries, loads, the control session) stays on Npgsql; the
/// connection string is the same Npgsql one, turned into libpq's parameters by <see cref="Settings"/>.
/// A session is used by one thread at a time; its calls block that thread.
/// </summary>
public sealed partial class LibPqSession : IDisposable
{
    const string Library = "libpq.so.5";
    const int BufferSize = 1 << 16;

    readonly IntPtr connection;
    readonly IntPtr cancel;
    readonly string describe;
    bool broken;
    bool disposed;

    LibPqSession(IntPtr connection, string describe)
    {
        this.connection = connection;
        this.describe = describe;
        cancel = PQgetCancel(connection);
    }

    /// <summary>
    /// libpq's parameters for an Npgsql connection string: the same server, user, database, TLS and
    /// timeout, and UTF-8 as the client encoding, as Npgsql uses (COPY text is compared byte for byte).
    /// Keys left out fall back to libpq's defaults and environment (PGUSER, PGPASSWORD, ~/.pgpass), as
    /// Npgsql's do.
    /// </summary>
    public static IReadOnlyList<LibPqSetting> Settings(string connectionString)
    {
        if (DatabaseConnection.Problem(connectionString) is { } problem)
            throw new RecoveryException($"the connection string is not usable: {problem}");
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var settings = new List<LibPqSetting>();
        void Add(string keyword, string variable, string? value)
        {
            if (!string.IsNullOrEmpty(value)) settings.Add(new LibPqSetting(keyword, variable, value));
        }
        // Npgsql lists hosts as "a:5433,b" (a host's own port, else Port); libpq as host=a,b port=5433,5432.
        var hosts = (b.Host ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(h => h.LastIndexOf(':') is var colon and > 0 && h.IndexOf(':') == colon && int.TryParse(h[(colon + 1)..], out var port)
                ? (Name: h[..colon], Port: port)
                : (Name: h, b.Port))
            .ToList();
        Add("host", "PGHOST", string.Join(',', hosts.Select(h => h.Name)));
        Add("port", "PGPORT", string.Join(',', hosts.Select(h => h.Port)));
        Add("user", "PGUSER", b.Username);
        Add("password", "PGPASSWORD", b.Password);
        Add("dbname", "PGDATABASE", b.Database);
        Add("passfile", "PGPASSFILE", b.Passfile);
        // Only when the string says it: otherwise libpq's own default and PGSSLMODE decide, so an
        // operator's PGSSLMODE=verify-full is never weakened to Npgsql's default (Prefer).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("SSL Mode") || given.ContainsKey("SslMode")) Add("sslmode", "PGSSLMODE", b.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Prefer => "prefer",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => throw new RecoveryException($"SSL Mode {b.SslMode} has no libpq equivalent; accepted: Disable, Allow, Prefer, Require, VerifyCA, VerifyFull"),
        });
        Add("sslrootcert", "PGSSLROOTCERT", b.RootCertificate);
        Add("sslcert", "PGSSLCERT", b.SslCertificate);
        Add("sslkey", "PGSSLKEY", b.SslKey);
        // libpq waits at least 2 s; 0 is "forever" on both sides.
        Add("connect_timeout", "PGCONNECT_TIMEOUT", b.Timeout == 0 ? "0" : Math.Max(2, b.Timeout).ToString());
        Add("application_name", "PGAPPNAME", b.ApplicationName);
        Add("options", "PGOPTIONS", b.Options);
        // With several hosts, the one Npgsql chose: a worker on another server could not import the backup's snapshot.
        var kind = b.TargetSessionAttributes?.ToLowerInvariant();
        Add("target_session_attrs", "PGTARGETSESSIONATTRS", kind is null or "any" or "primary" or "standby" or "prefer-standby" or "read-write" or "read-only"
            ? kind
            : throw new RecoveryException($"Target Session Attributes={b.TargetSessionAttributes} has no libpq equivalent; accepted: any, primary, standby, prefer-standby, read-write, read-only"));
        Add("client_encoding", "PGCLIENTENCODING", "UTF8");
        return settings;
    }

    /// <summary>Connects; <paramref name="role"/> names the database in errors ("source", ...). The connect itself is bounded by the connection string's Timeout.</summary>
    public static async Task<LibPqSession> OpenAsync(string connectionString, string role, CancellationToken ct)
    {
        var settings = Settings(connectionString);
        var describe = DatabaseConnection.Describe(connectionString);
        IntPtr handle;
        try { handle = await Task.Run(() => Connect(settings), ct); }
        catch (DllNotFoundException e)
        {
            throw new RecoveryException($"libpq ({Library}) cannot be loaded: install PostgreSQL's client library (Debian: libpq5; it comes with postgresql-client, which pg_dump needs too)", e);
        }
        var session = new LibPqSession(handle, $"{role} database {describe}");
        if (PQstatus(handle) != ConnectionOk)
        {
            var message = session.ConnectionError();
            session.Dispose();
            throw new RecoveryException($"cannot connect to the {role} database {describe}: {message}");
        }
        return session;
    }

    static IntPtr Connect(IReadOnlyList<LibPqSetting> settings)
    {
        // Null-terminated arrays of UTF-8 strings; the password's copy is zeroed before it is freed.
        var keywords = new IntPtr[settings.Count + 1];
        var values = new IntPtr[settings.Count + 1];
        try
        {
            for (var i = 0; i < settings.Count; i++)
            {
                keywords[i] = Marshal.StringToCoTaskMemUTF8(settings[i].Keyword);
                values[i] = Marshal.StringToCoTaskMemUTF8(settings[i].Value);
            }
            var handle = PQconnectdbParams(keywords, values, 0);
            return handle != IntPtr.Zero ? handle : throw new RecoveryException("libpq could not allocate a connection");
        }
        finally
        {
            for (var i = 0; i < settings.Count; i++)
            {
                if (keywords[i] != IntPtr.Zero) Marshal.FreeCoTaskMem(keywords[i]);
                if (values[i] != IntPtr.Zero) Marshal.ZeroFreeCoTaskMemUTF8(values[i]);
            }
        }
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements, no rows wanted) off the caller's thread: the call blocks.</summary>
    public Task ExecuteAsync(string sql, CancellationToken ct) => Task.Run(() => Execute(sql, ct), ct);

    void Execute(string sql, CancellationToken ct)
    {
        Usable(ct);
        using var registration = ct.Register(Cancel);
        var result = PQexec(connection, sql);
        try
        {
            var status = result == IntPtr.Zero ? FatalError : PQresultStatus(result);
            if (status is CommandOk or TuplesOk) return;
            ct.ThrowIfCancellationRequested();
            throw Failure(result, "refused a statement");
        }
        finally
        {
            PQclear(result);
        }
    }

    /// <summary>
    /// Runs <paramref name="copyOut"/> (a COPY ... TO STDOUT) and moves its output into
    /// <paramref name="output"/> in full buffers, showing each buffer to <paramref name="observe"/>
    /// first. The reads block this thread; rows arrive continuously, and cancellation cancels the
    /// statement on the server. Returns the bytes moved.
    /// </summary>
    public async Task<long> CopyOutAsync(string copyOut, Stream output, Action<ReadOnlyMemory<byte>> observe, CancellationToken ct)
    {
        Usable(ct);
        // Until the COPY's end is read the connection is inside it: a failure on the way leaves it unusable.
        broken = true;
        using var registration = ct.Register(Cancel);
        var started = PQexec(connection, copyOut);
        try
        {
            if (started == IntPtr.Zero || PQresultStatus(started) != CopyOut)
            {
                ct.ThrowIfCancellationRequested();
                throw Failure(started, "refused a COPY");
            }
        }
        finally
        {
            PQclear(started);
        }
        var buffer = new byte[BufferSize];
        long total = 0;
        var pending = ReadOnlyMemory<byte>.Empty;
        while (true)
        {
            var (filled, rest, ended) = Fill(buffer, pending);
            pending = rest;
            if (filled > 0)
            {
                observe(buffer.AsMemory(0, filled));
                await output.WriteAsync(buffer.AsMemory(0, filled), ct);
                total += filled;
            }
            if (ended) break;
        }
        FinishCopy(ct);
        broken = false;
        return total;
    }

    /// <summary>Fills the buffer with rows (a row longer than what is left is split across calls); ended: the COPY's data is all read.</summary>
    unsafe (int Filled, ReadOnlyMemory<byte> Pending, bool Ended) Fill(byte[] buffer, ReadOnlyMemory<byte> pending)
    {
        var filled = 0;
        if (!pending.IsEmpty)
        {
            var take = Math.Min(pending.Length, buffer.Length);
            pending.Span[..take].CopyTo(buffer);
            filled = take;
            pending = pending[take..];
            if (!pending.IsEmpty) return (filled, pending, false);
        }
        while (filled < buffer.Length)
        {
            var length = PQgetCopyData(connection, out var row, 0);
            if (length == -1) return (filled, ReadOnlyMemory<byte>.Empty, true);
            if (length < 0) throw new RecoveryException($"the {describe} broke off a COPY: {ConnectionError()}");
            try
            {
                var data = new ReadOnlySpan<byte>((void*)row, length);
                var take = Math.Min(length, buffer.Length - filled);
                data[..take].CopyTo(buffer.AsSpan(filled));
                filled += take;
                if (take < length) return (filled, data[take..].ToArray(), false);
            }
            finally
            {
                PQfreemem(row);
            }
        }
        return (filled, ReadOnlyMemory<byte>.Empty, false);
    }

    /// <summary>After the last row: the COPY's own result says whether it completed (a cancelled or failed COPY ends here).</summary>
    void FinishCopy(CancellationToken ct)
    {
        Exception? failure = null;
        IntPtr result;
        while ((result = PQgetResult(connection)) != IntPtr.Zero)
        {
            if (failure is null && PQresultStatus(result) != CommandOk) failure = Failure(result, "failed a COPY");
            PQclear(result);
        }
        if (failure is null) return;
        ct.ThrowIfCancellationRequested();
        throw failure;
    }

    /// <summary>Asks the server to cancel what this session runs (libpq's PQcancel may be called from any thread).</summary>
    void Cancel()
    {
        if (cancel == IntPtr.Zero) return;
        var error = new byte[256];
        PQcancel(cancel, error, error.Length);
    }

    void Usable(CancellationToken ct)
    {
        // A cancel sent before the statement starts is lost (the server has nothing to cancel yet).
        ct.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        if (broken) throw new RecoveryException($"the session on the {describe} was left inside a failed COPY");
    }

    RecoveryException Failure(IntPtr result, string what)
    {
        var message = result == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(PQresultErrorField(result, (int)'M'));
        return new RecoveryException($"the {describe} {what}: {(string.IsNullOrEmpty(message) ? ConnectionError() : message)}");
    }

    string ConnectionError() =>
        (Marshal.PtrToStringUTF8(PQerrorMessage(connection)) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() is { Length: > 0 } line
            ? line
            : "libpq gave no reason";

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (cancel != IntPtr.Zero) PQfreeCancel(cancel);
        PQfinish(connection);
    }

    // libpq-fe.h: ConnStatusType and ExecStatusType.
    const int ConnectionOk = 0;
    const int CommandOk = 1, TuplesOk = 2, CopyOut = 3, FatalError = 7;

    [LibraryImport(Library)]
    private static partial IntPtr PQconnectdbParams(IntPtr[] keywords, IntPtr[] values, int expandDbname);

    [LibraryImport(Library)]
    private static partial int PQstatus(IntPtr connection);

    [LibraryImport(Library)]
    private static partial IntPtr PQerrorMessage(IntPtr connection);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr PQexec(IntPtr connection, string query);

    [LibraryImport(Library)]
    private static partial int PQresultStatus(IntPtr result);

    [LibraryImport(Library)]
    private static partial IntPtr PQresultErrorField(IntPtr result, int field);

    [LibraryImport(Library)]
    private static partial void PQclear(IntPtr result);

    [LibraryImport(Library)]
    private static partial IntPtr PQgetResult(IntPtr connection);

    [LibraryImport(Library)]
    private static partial int PQgetCopyData(IntPtr connection, out IntPtr buffer, int async);

    [LibraryImport(Library)]
    private static partial void PQfreemem(IntPtr pointer);

    [LibraryImport(Library)]
    private static partial IntPtr PQgetCancel(IntPtr connection);

    [LibraryImport(Library)]
    private static partial int PQcancel(IntPtr cancel, byte[] error, int errorSize);

    [LibraryImport(Library)]
    private static partial void PQfreeCancel(IntPtr cancel);

    [LibraryImport(Library)]
    private static partial void PQfinish(IntPtr connection);
}
