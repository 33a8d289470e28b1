namespace AutoVideo.DR.Recovery.Tests.Backups;

/// <summary>
/// A schema with the column types and objects a backup must carry: numeric (with NaN), jsonb,
/// arrays (of text and of an enum), bytea, timestamptz (with infinity), enums, identity and
/// generated columns, a partitioned table, a foreign key, a trigger function, a sequence moved
/// by hand, materialized views (one over another), awkward text (tabs, newlines, backslashes, quotes, non-ASCII) and a large object.
/// </summary>
public static class RichSchema
{
    public const string Sql = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE SCHEMA media;
        CREATE TABLE media.videos (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            title text NOT NULL,
            price numeric(14,4),
            meta jsonb,
            tags text[],
            moods mood[],
            current_mood mood,
            thumb bytea,
            published timestamptz,
            title_length int GENERATED ALWAYS AS (length(title)) STORED,
            poster oid
        );
        CREATE TABLE events (id serial, at timestamptz NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE media.comments (id int PRIMARY KEY, video_id bigint NOT NULL REFERENCES media.videos(id), body text);
        CREATE FUNCTION media.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := NEW.body || ' (edited)'; RETURN NEW; END $$;
        CREATE TRIGGER stamp BEFORE UPDATE ON media.comments FOR EACH ROW EXECUTE FUNCTION media.stamp();
        CREATE SEQUENCE invoice_numbers START 1000;
        SELECT setval('invoice_numbers', 4242);

        INSERT INTO media.videos (title, price, meta, tags, moods, current_mood, thumb, published)
        SELECT 'video ' || i || CASE WHEN i % 7 = 0 THEN E' \t tab\nnewline \\ back "quote" ünïcødé' ELSE '' END,
               CASE WHEN i = 13 THEN 'NaN'::numeric ELSE i * 1.2345 END,
               jsonb_build_object('i', i, 'nested', jsonb_build_array(i, 'x', NULL)),
               ARRAY['a', 'b"c', NULL],
               ARRAY['sad', 'happy']::mood[],
               (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood,
               decode(md5(i::text), 'hex'),
               CASE WHEN i = 1 THEN 'infinity'::timestamptz ELSE '2025-03-01 12:00:00+08'::timestamptz + i * interval '1 minute' END
        FROM generate_series(1, 2000) i;
        UPDATE media.videos SET poster = lo_from_bytea(0, '\x00010203deadbeef'::bytea || decode(repeat('ab', 5000), 'hex')) WHERE id = 1;
        INSERT INTO events (at, kind) SELECT '2025-06-01'::timestamptz + i * interval '1 hour', 'kind ' || i FROM generate_series(1, 6000) i;
        INSERT INTO media.comments SELECT i, i, 'comment ' || i FROM generate_series(1, 300) i;
        CREATE MATERIALIZED VIEW media.moods_seen AS SELECT current_mood, count(*) AS videos FROM media.videos GROUP BY 1;
        CREATE MATERIALIZED VIEW media.moods_ranked AS SELECT current_mood, rank() OVER (ORDER BY videos DESC) FROM media.moods_seen;
        """;
}
