#!/usr/bin/env bash
# Benchmark (not a test): physical backup and restore with pgBackRest (ours: backup --physical,
# restore --to latest into a new data directory, until the server accepts a query) beside the
# logical backup/restore (ours) and pg_basebackup (tar, zstd; restore = unpack + start until a
# query is answered), on pgbench databases of several scales, in the same run.
# Prints a Markdown section for docs/benchmarks.md (between the pitr markers).
#
#   scripts/bench-pitr.sh                 # scales 10 50 150, 3 repetitions each
#   SCALES="10 50" REPS=5 scripts/bench-pitr.sh
set -euo pipefail
trap 'echo "bench-pitr: failed at line $LINENO (see the log in $WORK if kept)" >&2' ERR
cd "$(dirname "$0")/.."

SCALES=${SCALES:-"10 50 150"}
REPS=${REPS:-3}
PGBIN=${AUTOVIDEO_DR_PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/avdr-bench-pitr-XXXXXX)
chmod 755 "$WORK"
LOG="$WORK/bench.log"
AS_SERVER=(); [ "$(id -u)" -eq 0 ] && AS_SERVER=(runuser -u postgres --)

dotnet build -c Release recovery/AutoVideo.DR.Cli -v q -nologo >/dev/null
CLI=(dotnet recovery/AutoVideo.DR.Cli/bin/Release/net10.0/autovideo-dr.dll --workdir "$WORK/env")

cleanup() {
  for d in "$WORK"/restored-* "$WORK"/basebackup-restored-*; do
    [ -f "$d/postmaster.pid" ] && "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  "${CLI[@]}" local down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"${CLI[@]}" local up >>"$LOG" 2>&1
STATUS=$("${CLI[@]}" local status --json)
PRIMARY=$(jq -r '.nodes[] | select(.role=="primary") | .port' <<<"$STATUS")
STANDBY=$(jq -r '.nodes[] | select(.role=="standby") | .port' <<<"$STATUS")
psql() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -U postgres "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_query() { until psql -p "$1" postgres -c "SELECT 1" >/dev/null 2>&1; do sleep 0.05; done; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A RESULT SIZE_MIB
OPS="phys_backup phys_restore log_backup log_restore bb_backup bb_restore"

for SCALE in $SCALES; do
  echo "scale $SCALE: pgbench -i on the primary (port $PRIMARY)..." >&2
  "$PGBIN/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PRIMARY" -U postgres autovideo >>"$LOG" 2>&1
  psql -p "$PRIMARY" autovideo -c "CHECKPOINT; SELECT pg_switch_wal()" >/dev/null
  LSN=$(psql -p "$PRIMARY" autovideo -c "SELECT pg_current_wal_lsn()")
  until [ "$(psql -p "$STANDBY" autovideo -c "SELECT pg_last_wal_replay_lsn() >= '$LSN'")" = t ]; do sleep 0.2; done
  DB_BYTES=$(psql -p "$PRIMARY" autovideo -c "SELECT sum(pg_database_size(datname)) FROM pg_database")
  SIZE_MIB[$SCALE]=$(echo "$DB_BYTES / 1048576" | bc -l)
  declare -a phys_backup=() phys_restore=() log_backup=() log_restore=() bb_backup=() bb_restore=()
  for i in $(seq 1 "$REPS"); do
    echo "scale $SCALE, repetition $i/$REPS" >&2
    # Ours, physical: a full pgBackRest backup of the primary into the environment's repository.
    t=$(now); "${CLI[@]}" backup --physical --type full >>"$LOG" 2>&1; phys_backup+=("$(elapsed "$t")")
    # Ours, physical restore: everything archived, into a new directory, until the promoted server answers.
    t=$(now); "${CLI[@]}" restore --to latest --target "$WORK/restored-$SCALE-$i" --json >"$WORK/restore.json" 2>>"$LOG"; phys_restore+=("$(elapsed "$t")")
    "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$WORK/restored-$SCALE-$i" -m immediate stop >>"$LOG" 2>&1; rm -rf "$WORK/restored-$SCALE-$i"
    # Ours, logical: from the standby into a directory store, restored (verified) into a new database.
    t=$(now); "${CLI[@]}" backup --from standby --store "$WORK/store" --metrics-file "$WORK/m.prom" >>"$LOG" 2>&1; log_backup+=("$(elapsed "$t")")
    t=$(now); "${CLI[@]}" restore latest --store "$WORK/store" --metrics-file "$WORK/m.prom" \
        --target "Host=127.0.0.1;Port=$PRIMARY;Username=postgres;Database=bench_$i" >>"$LOG" 2>&1; log_restore+=("$(elapsed "$t")")
    psql -p "$PRIMARY" postgres -c "DROP DATABASE bench_$i"; rm -rf "$WORK/store"
    # The standard tool: pg_basebackup as a zstd-compressed tar, the WAL streamed alongside (pg_wal.tar, which it leaves uncompressed) ...
    mkdir -p "$WORK/basebackup"; [ ${#AS_SERVER[@]} -gt 0 ] && chown postgres "$WORK/basebackup"
    t=$(now); "${AS_SERVER[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY" -U postgres -D "$WORK/basebackup" -Ft -X stream -Z client-zstd --checkpoint=fast >>"$LOG" 2>&1; bb_backup+=("$(elapsed "$t")")
    # ... restored by unpacking into a new directory and starting it until it answers a query.
    R="$WORK/basebackup-restored-$SCALE-$i"; PORT=$(free_port)
    t=$(now)
    mkdir -m 700 "$R"; [ ${#AS_SERVER[@]} -gt 0 ] && chown postgres "$R"
    "${AS_SERVER[@]}" bash -c "tar --zstd -xf '$WORK/basebackup/base.tar.zst' -C '$R' && tar -xf $WORK/basebackup/pg_wal.tar* -C '$R/pg_wal'"
    "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$R" -l "$R/startup.log" -o "-p $PORT -c archive_mode=off" start >>"$LOG" 2>&1
    wait_query "$PORT"; bb_restore+=("$(elapsed "$t")")
    "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$R" -m immediate stop >>"$LOG" 2>&1; rm -rf "$R" "$WORK/basebackup"
  done
  for op in $OPS; do
    eval "runs=(\"\${${op}[@]}\")"
    RESULT[$op,$SCALE]=$(median "${runs[@]}")
    RESULT[$op,$SCALE,runs]=$(printf '%.1f ' "${runs[@]}")
  done
done
PHYS_SIZE=$("${CLI[@]}" backups list --json --metrics-file "$WORK/m.prom" 2>>"$LOG" | jq '[.[] | select(.kind=="physical")] | max_by(.time) | .size')

label() {
  case $1 in
    phys_backup) echo "autovideo-dr backup --physical (pgBackRest full, zstd, aes-256-cbc)";;
    phys_restore) echo "autovideo-dr restore --to latest (pgBackRest restore + WAL replay + promotion)";;
    log_backup) echo "autovideo-dr backup (logical, from the standby)";;
    log_restore) echo "autovideo-dr restore (logical, verified per table)";;
    bb_backup) echo "pg_basebackup -Ft -X stream -Z client-zstd";;
    bb_restore) echo "unpack pg_basebackup + start until a query is answered";;
  esac
}
SCALE_LIST=($SCALES); FIRST=${SCALE_LIST[0]}; LAST=${SCALE_LIST[-1]}
slope() { echo "(${RESULT[$1,$LAST]} - ${RESULT[$1,$FIRST]}) / ((${SIZE_MIB[$LAST]} - ${SIZE_MIB[$FIRST]}) / 1024)" | bc -l; }

echo "<!-- pitr:begin (made by scripts/bench-pitr.sh; do not edit by hand) -->"
echo "## Point-in-time recovery: physical backup and restore"
echo
echo "\`scripts/bench-pitr.sh\` (SCALES=\"$SCALES\", REPS=$REPS), $(date -u +%Y-%m-%d): one local environment, pgbench re-initialised at each scale;"
echo "every operation of a scale runs in the same repetition loop, so all tools see the same machine state. Medians in seconds; runs in brackets."
echo "A restore ends when the restored server answers a query (ours: promoted and writable)."
echo
echo "Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory, pgBackRest $(pgbackrest version | cut -d' ' -f2), PostgreSQL 15;"
echo "load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)."
echo
printf '| operation |'; for s in $SCALES; do printf ' scale %s (%.0f MiB) |' "$s" "${SIZE_MIB[$s]}"; done; echo " growth, s per GiB |"
printf '|---|'; for s in $SCALES; do printf -- '---|'; done; echo "---|"
for op in $OPS; do
  printf '| %s |' "$(label "$op")"
  for s in $SCALES; do printf ' %.2f (%s) |' "${RESULT[$op,$s]}" "${RESULT[$op,$s,runs]% }"; done
  printf ' %.1f |\n' "$(slope "$op")"
done
echo
printf 'Ratios at scale %s (ours / pg_basebackup): backup %.2f, restore %.2f. Logical / physical (ours): backup %.2f, restore %.2f.\n' "$LAST" \
  "$(echo "${RESULT[phys_backup,$LAST]} / ${RESULT[bb_backup,$LAST]}" | bc -l)" "$(echo "${RESULT[phys_restore,$LAST]} / ${RESULT[bb_restore,$LAST]}" | bc -l)" \
  "$(echo "${RESULT[log_backup,$LAST]} / ${RESULT[phys_backup,$LAST]}" | bc -l)" "$(echo "${RESULT[log_restore,$LAST]} / ${RESULT[phys_restore,$LAST]}" | bc -l)"
printf 'Stored size of the last full backup at scale %s: %.1f MiB in the repository.\n' "$LAST" "$(echo "$PHYS_SIZE / 1048576" | bc -l)"
echo "<!-- pitr:end -->"
