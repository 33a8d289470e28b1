using AutoVideo.DR.Recovery.Backups;

namespace AutoVideo.DR.Recovery.UnitTests.Backups;

public sealed class PostDataScriptTests
{
    /// <summary>The shape pg_dump 15 gives a post-data section (abridged from a real dump of the test schema).</summary>
    const string Script = """"
        --
        -- PostgreSQL database dump
        --

        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);

        --
        -- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
        --

        ALTER TABLE ONLY public.events
            ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);


        --
        -- Name: events_2025 events_2025_pkey; Type: CONSTRAINT; Schema: public; Owner: -
        --

        ALTER TABLE ONLY public.events_2025
            ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, at);


        --
        -- Name: videos_title; Type: INDEX; Schema: media; Owner: -
        --

        CREATE INDEX videos_title ON media.videos USING btree (title) WHERE (price > (0)::numeric);


        --
        -- Name: videos_lower; Type: INDEX; Schema: media; Owner: -
        --

        CREATE INDEX videos_lower ON media.videos USING btree (media.normalize(title));


        --
        -- Name: "Odd Table_key"; Type: INDEX; Schema: My Schema; Owner: -
        --

        CREATE UNIQUE INDEX "Odd Table_key" ON "My Schema"."Odd ""Table""" USING btree (id);


        --
        -- Name: events_2025_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
        --

        ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2025_pkey;


        --
        -- Name: comments comments_video_id_fkey; Type: FK CONSTRAINT; Schema: media; Owner: -
        --

        ALTER TABLE ONLY media.comments
            ADD CONSTRAINT comments_video_id_fkey FOREIGN KEY (video_id) REFERENCES media.videos(id);


        --
        -- PostgreSQL database dump complete
        --

        """";

    static readonly Dictionary<string, string> Staging = new() { ["public"] = "avdr_restore_x_0", ["media"] = "avdr_restore_x_1", ["My Schema"] = "avdr_restore_x_2" };

    [Fact]
    public void Indexes_and_keys_of_loaded_tables_move_to_the_staging_schema_and_the_rest_waits_for_the_swap()
    {
        var script = PostDataScript.Parse(Script);
        var tables = new HashSet<(string, string)> { ("public", "events_2025"), ("media", "videos"), ("media", "comments"), ("My Schema", "Odd \"Table\"") };

        var (staged, deferred) = script.Split(tables, Staging);

        Assert.Contains("search_path", script.Preamble);
        Assert.Equal(7, script.Entries.Count);
        Assert.Equal(
            [
                "CREATE UNIQUE INDEX events_2025_pkey ON \"avdr_restore_x_0\".events_2025 USING btree (id, at);",
                "CREATE INDEX videos_title ON \"avdr_restore_x_1\".videos USING btree (title) WHERE (price > (0)::numeric);",
                "CREATE UNIQUE INDEX \"Odd Table_key\" ON \"avdr_restore_x_2\".\"Odd \"\"Table\"\"\" USING btree (id);",
            ],
            staged.Select(s => s.Sql));
        // The key is built as its unique index (a SHARE lock: the table's read-back goes on) and then made the key.
        Assert.Equal(["ALTER TABLE ONLY \"avdr_restore_x_0\".events_2025 ADD CONSTRAINT events_2025_pkey PRIMARY KEY USING INDEX events_2025_pkey;", null, null], staged.Select(s => s.Attach));
        // The partitioned parent (not a loaded table), an expression naming a schema of the backup,
        // the attachment and the foreign key run in the swap, in pg_dump's order.
        Assert.Equal(["CONSTRAINT", "INDEX", "INDEX ATTACH", "FK CONSTRAINT"], deferred.Select(d => d.Type));
        Assert.StartsWith("ALTER TABLE ONLY public.events\n", deferred[0].Sql);
        Assert.Contains("media.normalize", deferred[1].Sql);
        Assert.Contains("REFERENCES media.videos(id);", script.ScriptOf(deferred));
    }

    [Theory]
    [InlineData("t_key UNIQUE (a) DEFERRABLE INITIALLY DEFERRED;")]
    [InlineData("t_pkey PRIMARY KEY (a) INCLUDE (b);")]
    [InlineData("t_pkey PRIMARY KEY (a) WITH (fillfactor='70');")]
    [InlineData("t_excl EXCLUDE USING gist (r WITH &&);")]
    [InlineData("t_check CHECK ((a > 0)) NOT VALID;")]
    public void A_key_with_more_than_plain_columns_is_built_as_pg_dump_wrote_it(string constraint)
    {
        var script = PostDataScript.Parse($"SET statement_timeout = 0;\n\n--\n-- Name: t x; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\nALTER TABLE ONLY public.t\n    ADD CONSTRAINT {constraint}\n");
        var staged = Assert.Single(script.Split(new HashSet<(string, string)> { ("public", "t") }, Staging).Staged);
        Assert.Equal($"ALTER TABLE ONLY \"avdr_restore_x_0\".t\n    ADD CONSTRAINT {constraint}", staged.Sql);
        Assert.Null(staged.Attach);
    }

    [Fact]
    public void A_script_without_objects_is_all_preamble()
    {
        var script = PostDataScript.Parse("SET statement_timeout = 0;\n");
        Assert.Empty(script.Entries);
        Assert.Equal((0, 0), (script.Split(new HashSet<(string, string)>(), Staging).Staged.Count, script.Split(new HashSet<(string, string)>(), Staging).Deferred.Count));
    }
}
