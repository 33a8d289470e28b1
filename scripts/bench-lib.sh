# Shared by the benchmark scripts (sourced, not run): publishing the CLI, a local environment and
# settling it between timed runs, the many-small-tables database, moto behind a slow proxy, medians.
PGBIN=${AUTOVIDEO_DR_PG_BIN:-/usr/lib/postgresql/15/bin}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# publish TREE OUT: the CLI as the image publishes it (self-contained composite ReadyToRun: the CLI's project sets that for -r).
publish() { dotnet publish "$1/recovery/AutoVideo.DR.Cli" -c Release -r linux-x64 -o "$2" -v q -nologo >/dev/null; }

psql() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -U postgres "$@"; }

# start_environment CLI...: `local up`, then PRIMARY and STANDBY are the nodes' ports.
start_environment() {
  "$@" local up >/dev/null
  local status
  status=$("$@" local status --json)
  PRIMARY=$(jq -r '.nodes[] | select(.role=="primary") | .port' <<<"$status")
  STANDBY=$(jq -r '.nodes[] | select(.role=="standby") | .port' <<<"$status")
}

# Restores write the whole database to WAL: a backup from the standby waits until it has replayed it.
wait_for_standby() {
  local lsn
  lsn=$(psql -p "$PRIMARY" postgres -c "SELECT pg_current_wal_lsn()")
  until [ "$(psql -p "$STANDBY" postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]; do sleep 0.2; done
}

# Before each timed restore (not counted): a checkpoint, the standby has replayed all WAL so far and the
# archive has taken every finished segment. Otherwise a restore pays for the WAL the one before it left:
# replay and archiving on the same two cores, and a checkpoint after which the first read of each new
# page writes a full-page image (wal_log_hints is on). By hand at scale 50, pg_restore took 6.7-7.8 s
# from a settled start and up to 9.2 s right after our restore; bench-backup.sh did not settle before 2026-11-26.
settle() {
  psql -p "$PRIMARY" postgres -c "CHECKPOINT"
  wait_for_standby
  until [ "$(psql -p "$PRIMARY" postgres -c "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")" = 0 ]; do sleep 0.2; done
}

# small_tables DB N: a new database DB on the primary of N tables of 100 rows, each with a primary key and an
# index: per-table costs (a COPY, a part, a file or an upload) instead of throughput. A database of their
# own, so that dropping them afterwards takes no lock per table.
small_tables() {
  local db=$1 tables=$2 first
  psql -p "$PRIMARY" postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  for ((first = 1; first <= tables; first += 500)); do
    psql -p "$PRIMARY" "$db" -c "DO \$\$ BEGIN FOR i IN $first..$(( first + 499 < tables ? first + 499 : tables )) LOOP
      EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, note text, at timestamptz DEFAULT now()); CREATE INDEX ON t%s (note);
                      INSERT INTO t%s (id, note) SELECT g, md5(g::text) FROM generate_series(1, 100) g', i, i, i);
    END LOOP; END \$\$"
  done
}

# start_slow_s3 WORK LATENCY_MS: moto, and a proxy in front of it that adds LATENCY_MS to every request (an S3
# round trip; moto on loopback answers in a millisecond or two). MOTO and PROXY are their ports; their process
# ids are added to PIDS for the caller's cleanup.
start_slow_s3() {
  MOTO=$(free_port); PROXY=$(free_port)
  moto_server -p "$MOTO" >"$1/moto.log" 2>&1 & PIDS+=($!)
  python3 scripts/bench-catalog/SlowProxy.py "$PROXY" "$MOTO" "$2" >"$1/proxy.log" 2>&1 & PIDS+=($!)
  until curl -sf "http://127.0.0.1:$MOTO/" >/dev/null; do sleep 0.2; done
}

# publish_sides: the CLI of this tree into $WORK/ours and, with BASE set, that revision's into $WORK/base-cli
# (built in a worktree, $WORK/base, that the caller's cleanup removes). SIDES lists them; `cli SIDE` is each one's binary.
publish_sides() {
  publish . "$WORK/ours"
  SIDES=(ours)
  if [ -n "${BASE:-}" ]; then
    git worktree add --detach "$WORK/base" "$BASE" >/dev/null 2>&1
    publish "$WORK/base" "$WORK/base-cli"
    SIDES=(ours base)
  fi
}
cli() { if [ "$1" = ours ]; then echo "$WORK/ours/autovideo-dr"; else echo "$WORK/base-cli/autovideo-dr"; fi; }

# A Markdown table of medians (of the seconds in $WORK/NAME_ours, and NAME_base with the ratio when BASE is set):
# side_header, then side_row LABEL NAME per row.
side_header() {
  if [ -n "${BASE:-}" ]; then echo "| command | this tree | $BASE | ratio |"; echo "|---|---:|---:|---:|"; else echo "| command | seconds |"; echo "|---|---:|"; fi
}
side_row() {
  local ours base
  ours=$(median <"$WORK/$2_ours")
  if [ -n "${BASE:-}" ]; then
    base=$(median <"$WORK/$2_base")
    printf '| %s | %.2f | %.2f | %.2f |\n' "$1" "$ours" "$base" "$(echo "$ours / $base" | bc -l)"
  else
    printf '| %s | %.2f |\n' "$1" "$ours"
  fi
}
