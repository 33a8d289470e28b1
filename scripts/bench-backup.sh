#!/usr/bin/env bash
# Benchmark (not a test): our backup and our restore-with-verification beside pg_dump -Fd -j2 and
# pg_restore -j2, on the same pgbench database, in the same run, interleaved (the side that goes
# first alternates by repetition), REPS repetitions per scale. Prints a Markdown section for
# docs/benchmarks.md ("## Backup and restore"): medians, ratios, time per GB, peak RSS, stored size,
# load average before and after each scale.
#
#   scripts/bench-backup.sh                       # scales 10 50 150, 3 repetitions
#   SCALES="10 50" REPS=5 scripts/bench-backup.sh
#   SCALES="t1500" scripts/bench-backup.sh        # tN: a database of N small tables (100 rows, a key and an index each) instead of pgbench
#   COMPRESSIONS="zstd:1 gzip:1" scripts/bench-backup.sh   # the compression table (on the first scale); "" skips it
#   KEEP=1 scripts/bench-backup.sh                # keep the work directory (logs, dumps, store) for a look afterwards
#
# Both restores go into a database created just before the clock starts (the creation counts on
# neither side). The CLI is published as it is deployed (self-contained, composite ReadyToRun); /usr/bin/time gives each
# process's wall time and peak RSS (pg_dump/pg_restore -j2: the largest of their processes).
set -Eeuo pipefail
trap 'echo "bench-backup.sh: line $LINENO failed (exit $?)" >&2' ERR
cd "$(dirname "$0")/.."

SCALES=${SCALES:-"10 50 150"}
REPS=${REPS:-3}
COMPRESSIONS=${COMPRESSIONS-"zstd:1 zstd:3 gzip:1 gzip:6 lz4:0 none:0"}
source scripts/bench-lib.sh
WORK=$(mktemp -d /tmp/avdr-bench-XXXXXX)
chmod 755 "$WORK"
LOG="$WORK/bench.log"

publish . "$WORK/cli"
CLI=("$WORK/cli/autovideo-dr" --workdir "$WORK/env")

cleanup() { "${CLI[@]}" local down >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

start_environment "${CLI[@]}"
TARGET() { echo "Host=127.0.0.1;Port=$PRIMARY;Username=postgres;Database=$1"; }

# timed NAME CMD...: runs CMD under /usr/bin/time, appends "seconds rss_kib" to $WORK/NAME.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >>"$LOG" 2>&1 || { echo "failed: $*" >&2; tail -20 "$LOG" >&2; exit 1; }
  tail -1 "$WORK/time.out" >>"$WORK/$name"
}

col() { awk -v c="$2" '{print $c}' "$WORK/$1"; }
runs() { col "$1" 1 | awk '{printf "%.2f ", $1}'; }
med() { col "$1" "${2:-1}" | median; }

DB=autovideo
ours_backup() { timed ours_backup "${CLI[@]}" backup --parts database --from "Host=127.0.0.1;Port=$STANDBY;Username=postgres;Database=$DB" --store "$WORK/store" --metrics-file "$WORK/m.prom"; }
pg_backup() { rm -rf "$WORK/dump"; timed pg_dump "$PGBIN/pg_dump" -Fd -j2 -h 127.0.0.1 -p "$STANDBY" -U postgres -f "$WORK/dump" "$DB"; }
ours_restore() {
  psql -p "$PRIMARY" postgres -c "CREATE DATABASE bench_ours"
  settle
  timed ours_restore "${CLI[@]}" restore latest --parts database --store "$WORK/store" --metrics-file "$WORK/m.prom" --target "$(TARGET bench_ours)"
  grep -o 'restored autovideo_backup.*' "$LOG" | tail -1 | sed -n 's/.* s (\(check.*\))$/\1/p' >>"$WORK/phases"
  psql -p "$PRIMARY" postgres -c "DROP DATABASE bench_ours"
}
pg_restore() {
  psql -p "$PRIMARY" postgres -c "CREATE DATABASE bench_pg"
  settle
  timed pg_restore "$PGBIN/pg_restore" -j2 -h 127.0.0.1 -p "$PRIMARY" -U postgres -d bench_pg "$WORK/dump"
  psql -p "$PRIMARY" postgres -c "DROP DATABASE bench_pg"
}

# pgBackRest archives the restores' WAL compressed into the environment's repository (a few GiB at
# scale 150), which goes with the environment at the end.

SUMMARY=""
SECTIONS=""
COMPRESSION_TABLE=""
for SCALE in $SCALES; do
  rm -f "$WORK"/ours_* "$WORK"/pg_* "$WORK"/phases "$WORK"/c_*
  if [[ $SCALE == t* ]]; then
    TABLES=${SCALE#t}; DB=bench_tables; LABEL="$TABLES tables of 100 rows"
    echo "$LABEL on the primary (port $PRIMARY)..." >&2
    small_tables "$DB" "$TABLES"
  else
    DB=autovideo; LABEL="pgbench scale $SCALE"
    echo "pgbench -i -s $SCALE on the primary (port $PRIMARY)..." >&2
    "$PGBIN/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PRIMARY" -U postgres autovideo >>"$LOG" 2>&1
  fi
  psql -p "$PRIMARY" "$DB" -c "CHECKPOINT"
  wait_for_standby
  DB_BYTES=$(psql -p "$STANDBY" "$DB" -c "SELECT pg_database_size('$DB')")
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  for i in $(seq 1 "$REPS"); do
    echo "scale $SCALE, repetition $i/$REPS" >&2
    rm -rf "$WORK/store"
    if (( i % 2 )); then ours_backup; pg_backup; else pg_backup; ours_backup; fi
    OUR_SIZE=$(du -sb "$WORK/store" | cut -f1); DUMP_SIZE=$(du -sb "$WORK/dump" | cut -f1)
    if (( i % 2 )); then ours_restore; pg_restore; else pg_restore; ours_restore; fi
    wait_for_standby
  done
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

  if [ -n "$COMPRESSIONS" ] && [ "$SCALE" = "$(echo $SCALES | cut -d' ' -f1)" ]; then
    echo "scale $SCALE: compressions" >&2
    C_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    for i in $(seq 1 "$REPS"); do
      for c in $COMPRESSIONS; do
        rm -rf "$WORK/cstore"
        timed "c_${c%%:*}_${c##*:}" "${CLI[@]}" backup --parts database --from "Host=127.0.0.1;Port=$STANDBY;Username=postgres;Database=$DB" --store "$WORK/cstore" --metrics-file "$WORK/m.prom" --compression "${c%%:*}" --compression-level "${c##*:}"
        du -sb "$WORK/cstore" | cut -f1 >"$WORK/size_${c%%:*}_${c##*:}"
      done
    done
    COMPRESSION_TABLE="
### Compression (pgbench scale $SCALE, our backup, $REPS runs each, interleaved)

Load average before $C_LOAD, after $(cut -d' ' -f1-3 /proc/loadavg). pg_dump -Fd (its default, gzip level 6): $(printf '%.1f' "$(echo "$DUMP_SIZE / 1048576" | bc -l)") MiB in $(printf '%.2f' "$(med pg_dump)") s (median above).

| --compression | median s | stored MiB | runs (s) |
|---|---:|---:|---|
$(for c in $COMPRESSIONS; do printf '| %s level %s | %.2f | %.1f | %s |\n' "${c%%:*}" "${c##*:}" "$(med "c_${c%%:*}_${c##*:}")" "$(echo "$(cat "$WORK/size_${c%%:*}_${c##*:}") / 1048576" | bc -l)" "$(runs "c_${c%%:*}_${c##*:}")"; done)
"
  fi

  GB=$(echo "$DB_BYTES / 1000000000" | bc -l)
  OB=$(med ours_backup); PD=$(med pg_dump); ORS=$(med ours_restore); PR=$(med pg_restore)
  row() { # label, file
    printf '| %s | %.2f | %.2f | %.0f | %s |\n' "$1" "$(med "$2")" "$(echo "$(med "$2") / $GB" | bc -l)" "$(echo "$(med "$2" 2) / 1024" | bc -l)" "$(runs "$2")"
  }
  ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
  SECTIONS+="
### $LABEL ($(printf '%.0f' "$(echo "$DB_BYTES / 1048576" | bc -l)") MiB, \`pg_database_size\`)

Load average before $LOAD_BEFORE, after $LOAD_AFTER.

| operation | median s | s per GB | peak RSS MiB | runs (s) |
|---|---:|---:|---:|---|
$(row "autovideo-dr backup (zstd, SHA-256, fingerprints, from the standby)" ours_backup)
$(row "pg_dump -Fd -j2 (from the standby)" pg_dump)
$(row "autovideo-dr restore (check, load, verify every table, indexes, swap)" ours_restore)
$(row "pg_restore -j2 (no verification)" pg_restore)

Stored: ours $(printf '%.1f' "$(echo "$OUR_SIZE / 1048576" | bc -l)") MiB, pg_dump -Fd $(printf '%.1f' "$(echo "$DUMP_SIZE / 1048576" | bc -l)") MiB.
Our restore's phases, run by run (verify and indexes share the workers, so they report the same span):
$(sed 's/^/- /' "$WORK/phases")
"
  SUMMARY+="| $SCALE | $(printf '%.0f' "$(echo "$DB_BYTES / 1048576" | bc -l)") MiB | $(ratio "$OB" "$PD") | $(ratio "$ORS" "$PR") | $(ratio "$OUR_SIZE" "$DUMP_SIZE") | $(printf '%.0f / %.0f' "$(echo "$(med ours_backup 2) / 1024" | bc -l)" "$(echo "$(med ours_restore 2) / 1024" | bc -l)") | $LOAD_BEFORE → $LOAD_AFTER |
"
done

cat <<MD
## Backup and restore

\`scripts/bench-backup.sh\` (SCALES="$SCALES", REPS=$REPS), $(date -u +%Y-%m-%d): pgbench databases in one local
environment; backups from the standby, restores into a new (already created) database on the primary; ours and
pg_dump/pg_restore interleaved in each repetition, the first side alternating. Medians.

Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory.

| scale | size | backup / \`pg_dump -Fd -j2\` | restore+verify / \`pg_restore -j2\` | stored / pg_dump | our peak RSS MiB (backup / restore) | load average before → after |
|---|---|---:|---:|---:|---:|---|
$SUMMARY$SECTIONS$COMPRESSION_TABLE
MD
