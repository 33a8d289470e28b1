#!/usr/bin/env bash
# Benchmark (not a test): our backup + restore-with-verification beside pg_dump -Fd -j2 /
# pg_restore -j2 on the same pgbench database, in the same run, N repetitions each, alternating.
# Prints a Markdown section for docs/benchmarks.md ("## Backup and restore").
#
#   scripts/bench-backup.sh            # scale 50, 3 repetitions
#   SCALE=10 REPS=5 scripts/bench-backup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${SCALE:-50}
REPS=${REPS:-3}
PGBIN=${AUTOVIDEO_DR_PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/avdr-bench-XXXXXX)
chmod 755 "$WORK"
LOG="$WORK/bench.log"

dotnet build -c Release recovery/AutoVideo.DR.Cli -v q -nologo >/dev/null
CLI=(dotnet recovery/AutoVideo.DR.Cli/bin/Release/net10.0/autovideo-dr.dll --workdir "$WORK/env")

cleanup() { "${CLI[@]}" local down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

"${CLI[@]}" local up >/dev/null
STATUS=$("${CLI[@]}" local status --json)
PRIMARY=$(jq -r '.nodes[] | select(.role=="primary") | .port' <<<"$STATUS")
STANDBY=$(jq -r '.nodes[] | select(.role=="standby") | .port' <<<"$STATUS")
psql() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -U postgres "$@"; }

echo "pgbench -i -s $SCALE on the primary (port $PRIMARY)..." >&2
"$PGBIN/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PRIMARY" -U postgres autovideo >>"$LOG" 2>&1
LSN=$(psql -p "$PRIMARY" autovideo -c "SELECT pg_current_wal_lsn()")
until [ "$(psql -p "$STANDBY" autovideo -c "SELECT pg_last_wal_replay_lsn() >= '$LSN'")" = t ]; do sleep 0.2; done
DB_BYTES=$(psql -p "$STANDBY" autovideo -c "SELECT pg_database_size('autovideo')")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
declare -a OUR_BACKUP OUR_RESTORE PG_DUMP PG_RESTORE
OUR_SIZE=0; DUMP_SIZE=0

for i in $(seq 1 "$REPS"); do
  echo "repetition $i/$REPS" >&2
  # Ours: backup from the standby into the directory store, then restore (verify + load + per-table check) into a new database.
  STORE="$WORK/store"
  t=$(now); "${CLI[@]}" backup --from standby --store "$STORE" --metrics-file "$WORK/m.prom" >>"$LOG" 2>&1; OUR_BACKUP+=("$(elapsed "$t")")
  OUR_SIZE=$(du -sb "$STORE" | cut -f1)
  t=$(now); "${CLI[@]}" restore latest --store "$STORE" --metrics-file "$WORK/m.prom" \
      --target "Host=127.0.0.1;Port=$PRIMARY;Username=postgres;Database=bench_ours_$i" >>"$LOG" 2>&1; OUR_RESTORE+=("$(elapsed "$t")")
  psql -p "$PRIMARY" postgres -c "DROP DATABASE bench_ours_$i"; rm -rf "$STORE"

  # pg_dump directory format, 2 jobs, from the same standby; pg_restore with 2 jobs into a new database.
  t=$(now); "$PGBIN/pg_dump" -Fd -j2 -h 127.0.0.1 -p "$STANDBY" -U postgres -f "$WORK/dump" autovideo >>"$LOG" 2>&1; PG_DUMP+=("$(elapsed "$t")")
  DUMP_SIZE=$(du -sb "$WORK/dump" | cut -f1)
  psql -p "$PRIMARY" postgres -c "CREATE DATABASE bench_pg_$i"
  t=$(now); "$PGBIN/pg_restore" -j2 -h 127.0.0.1 -p "$PRIMARY" -U postgres -d "bench_pg_$i" "$WORK/dump" >>"$LOG" 2>&1; PG_RESTORE+=("$(elapsed "$t")")
  psql -p "$PRIMARY" postgres -c "DROP DATABASE bench_pg_$i"; rm -rf "$WORK/dump"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
MB=$(echo "$DB_BYTES / 1048576" | bc -l)
row() { # name, median seconds, all runs
  printf '| %s | %.2f | %.1f | %s |\n' "$1" "$2" "$(echo "$MB / $2" | bc -l)" "$(printf '%.2f ' "${@:3}")"
}
OB=$(median "${OUR_BACKUP[@]}"); ORS=$(median "${OUR_RESTORE[@]}"); PD=$(median "${PG_DUMP[@]}"); PR=$(median "${PG_RESTORE[@]}")

cat <<MD
## Backup and restore

\`scripts/bench-backup.sh\` (SCALE=$SCALE, REPS=$REPS), $(date -u +%Y-%m-%d): pgbench scale $SCALE,
database $(printf '%.0f' "$MB") MiB (\`pg_database_size\`), one local environment; backups taken from the
standby, restores into a new database on the primary; ours and pg_dump/pg_restore alternate in each repetition.
Throughput is database size over time.

Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory;
load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg).

| operation | median s | MiB/s | runs (s) |
|---|---|---|---|
$(row "autovideo-dr backup (directory store, gzip, SHA-256, fingerprints)" "$OB" "${OUR_BACKUP[@]}")
$(row "pg_dump -Fd -j2" "$PD" "${PG_DUMP[@]}")
$(row "autovideo-dr restore (verify checksums, load, per-table check)" "$ORS" "${OUR_RESTORE[@]}")
$(row "pg_restore -j2 (no verification)" "$PR" "${PG_RESTORE[@]}")

Ratios (ours / pg): backup $(printf '%.2f' "$(echo "$OB / $PD" | bc -l)"), restore $(printf '%.2f' "$(echo "$ORS / $PR" | bc -l)").
Stored size: ours $(printf '%.1f' "$(echo "$OUR_SIZE / 1048576" | bc -l)") MiB, pg_dump -Fd $(printf '%.1f' "$(echo "$DUMP_SIZE / 1048576" | bc -l)") MiB.
MD
