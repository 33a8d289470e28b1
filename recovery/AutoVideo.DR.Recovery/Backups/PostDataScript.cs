using System.Text;
using System.Text.RegularExpressions;

namespace AutoVideo.DR.Recovery.Backups;

/// <summary>
/// pg_dump's post-data section taken apart, so a staged restore can build the expensive part, the
/// indexes and keys of the loaded tables, on the staged tables in parallel, and leave the rest
/// (foreign keys, triggers, rules, policies, index attachments, comments) to the swap, which runs
/// them under the real names. pg_dump heads every object with a "-- Name: …; Type: …; Schema: …"
/// comment and qualifies every name, so a statement is moved to a staging schema by rewriting only
/// the table it is ON; one whose text names a backup schema anywhere else (an expression calling a
/// function of the backup, an operator class) is left to the swap, where every name resolves.
/// </summary>
public sealed partial class PostDataScript
{
    /// <summary>The settings pg_dump puts first (search_path '' among them); every session running its statements runs them first.</summary>
    public string Preamble { get; }

    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>One object of the section: its type as pg_dump names it and its SQL.</summary>
    public sealed record Entry(string Type, string Schema, string Sql);

    /// <summary>
    /// A statement that can run on a staged table: its SQL with the table moved to the staging schema,
    /// and the table. A plain primary key or unique constraint is built as its unique index (which
    /// takes a SHARE lock, so the table's read-back goes on beside it: ADD CONSTRAINT would lock
    /// everyone out for the whole build) and <see cref="Attach"/> then makes that index the key, under
    /// the same name, once nothing reads the table any more.
    /// </summary>
    public sealed record StagedStatement(Entry Entry, string Sql, string Schema, string Table, string? Attach = null);

    PostDataScript(string preamble, IReadOnlyList<Entry> entries) => (Preamble, Entries) = (preamble, entries);

    public static PostDataScript Parse(string script)
    {
        var sql = SchemaScript.AsSql(script);
        var headers = Header().Matches(sql);
        if (headers.Count == 0) return new PostDataScript(sql, []);
        var entries = new List<Entry>();
        for (var i = 0; i < headers.Count; i++)
        {
            var start = headers[i].Index + headers[i].Length;
            var end = i + 1 < headers.Count ? headers[i + 1].Index : sql.Length;
            entries.Add(new Entry(headers[i].Groups["type"].Value, headers[i].Groups["schema"].Value, sql[start..end].Trim()));
        }
        return new PostDataScript(sql[..headers[0].Index], entries);
    }

    /// <summary>
    /// Splits the entries into those that run on staged tables (indexes and primary-key, unique and
    /// exclusion constraints of tables in <paramref name="tables"/>, rewritten into
    /// <paramref name="staging"/>'s schemas) and the rest, kept in pg_dump's order for the swap.
    /// </summary>
    public (IReadOnlyList<StagedStatement> Staged, IReadOnlyList<Entry> Deferred) Split(IReadOnlySet<(string Schema, string Table)> tables, IReadOnlyDictionary<string, string> staging)
    {
        var staged = new List<StagedStatement>();
        var deferred = new List<Entry>();
        foreach (var entry in Entries)
        {
            if (entry.Type is "INDEX" or "CONSTRAINT" && Stage(entry, tables, staging) is { } statement) staged.Add(statement);
            else deferred.Add(entry);
        }
        return (staged, deferred);
    }

    static StagedStatement? Stage(Entry entry, IReadOnlySet<(string, string)> tables, IReadOnlyDictionary<string, string> staging)
    {
        var match = CreateIndex().Match(entry.Sql) is { Success: true } index ? index : AddConstraint().Match(entry.Sql);
        if (!match.Success) return null;
        var (schema, table) = (Unquote(match.Groups["schema"].Value), Unquote(match.Groups["table"].Value));
        if (!tables.Contains((schema, table)) || !staging.TryGetValue(schema, out var stage)) return null;
        var rest = match.Groups["rest"].Value;
        // Any other qualified name of the backup would resolve to the real schema, not the staged one.
        if (staging.Keys.Any(s => rest.Contains(s + ".", StringComparison.Ordinal) || rest.Contains(SqlIdentifier.Quote(s) + ".", StringComparison.Ordinal)))
            return null;
        var sql = new StringBuilder(entry.Sql)
            .Remove(match.Groups["schema"].Index, match.Groups["schema"].Length)
            .Insert(match.Groups["schema"].Index, SqlIdentifier.Quote(stage))
            .ToString();
        if (entry.Type != "CONSTRAINT" || PlainKey().Match(rest) is not { Success: true } key)
            return new StagedStatement(entry, sql, schema, table);
        // ALTER TABLE ... ADD CONSTRAINT name PRIMARY KEY USING INDEX name gives the same key (and index
        // name) as pg_dump's ADD CONSTRAINT; it only checks the index, which is what makes it short.
        var (name, staged) = (key.Groups["name"].Value, $"{SqlIdentifier.Quote(stage)}.{match.Groups["table"].Value}");
        return new StagedStatement(entry, $"CREATE UNIQUE INDEX {name} ON {staged} USING btree ({key.Groups["columns"].Value});", schema, table,
            $"ALTER TABLE ONLY {staged} ADD CONSTRAINT {name} {key.Groups["kind"].Value} USING INDEX {name};");
    }

    /// <summary>The deferred entries as one script, preamble first.</summary>
    public string ScriptOf(IEnumerable<Entry> entries) => Preamble + "\n" + string.Join("\n\n", entries.Select(e => e.Sql));

    static string Unquote(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"") : identifier;

    const string Identifier = """(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)""";

    [GeneratedRegex(@"^--\n-- Name: (?<name>.*?); Type: (?<type>[A-Z ]+); Schema: (?<schema>.*?); Owner: .*\n--\n", RegexOptions.Multiline)]
    private static partial Regex Header();

    [GeneratedRegex(@"^CREATE (?:UNIQUE )?INDEX " + Identifier + @" ON (?<schema>" + Identifier + @")\.(?<table>" + Identifier + @") (?<rest>USING [\s\S]*)$")]
    private static partial Regex CreateIndex();

    [GeneratedRegex(@"^ALTER TABLE ONLY (?<schema>" + Identifier + @")\.(?<table>" + Identifier + @")\n    ADD CONSTRAINT (?<rest>[\s\S]*)$")]
    private static partial Regex AddConstraint();

    /// <summary>A key on plain columns and nothing else (no INCLUDE, storage parameters, tablespace or deferral).</summary>
    [GeneratedRegex(@"^(?<name>" + Identifier + @") (?<kind>PRIMARY KEY|UNIQUE) \((?<columns>[^()]*)\);$")]
    private static partial Regex PlainKey();
}
