#!/usr/bin/env bash
# Benchmark (not a test): a backup and a restore of a database of many small tables through S3 (moto
# behind a proxy adding LATENCY_MS to every request), for the CLI built from this tree and, with
# BASE=<revision>, for that revision's. Every part is at least one request each way (an upload; a read
# by the part check and another by the load), so what counts here is how many parts there are.
# Interleaved, REPS runs each, the environment settled before each restore. Prints a Markdown section
# for docs/benchmarks.md ("Many small tables through S3").
#
#   BASE=5b0df3b scripts/bench-s3-tables.sh      # 1500 tables, 20 ms, 3 runs
#   TABLES=300 LATENCY_MS=40 REPS=5 scripts/bench-s3-tables.sh
set -Eeuo pipefail
trap 'echo "bench-s3-tables.sh: line $LINENO failed (exit $?)" >&2' ERR
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

TABLES=${TABLES:-1500}
LATENCY_MS=${LATENCY_MS:-20}
REPS=${REPS:-3}
BASE=${BASE:-}
WORK=$(mktemp -d /tmp/avdr-bench-s3-XXXXXX)
chmod 755 "$WORK"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
PIDS=()
CLI=("$WORK/ours/autovideo-dr" --workdir "$WORK/env")
cleanup() {
  "${CLI[@]}" local down >/dev/null 2>&1 || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -z "$BASE" ] || git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

publish_sides

start_environment "${CLI[@]}"
echo "$TABLES tables of 100 rows on the primary (port $PRIMARY)..." >&2
small_tables bench_tables "$TABLES"
wait_for_standby
start_slow_s3 "$WORK" "$LATENCY_MS"
curl -sf -X PUT "http://127.0.0.1:$MOTO/bench" >/dev/null
S3=(--s3-endpoint "http://127.0.0.1:$PROXY" --s3-path-style --workdir "$WORK/env" --metrics-file "$WORK/m.prom")

# timed NAME CMD...: wall seconds of CMD appended to $WORK/NAME.
timed() {
  local name=$1 start; shift
  start=$(date +%s.%N)
  "$@" >"$WORK/out" 2>&1 || { echo "failed: $*" >&2; tail -20 "$WORK/out" >&2; exit 1; }
  echo "$(date +%s.%N) - $start" | bc -l >>"$WORK/$name"
}

for i in $(seq 1 "$REPS"); do
  echo "repetition $i/$REPS" >&2
  order=("${SIDES[@]}"); (( i % 2 )) || order=($(printf '%s\n' "${SIDES[@]}" | tac))
  for side in "${order[@]}"; do
    timed "backup_$side" "$(cli "$side")" backup --parts database --from "Host=127.0.0.1;Port=$STANDBY;Username=postgres;Database=bench_tables" --store "s3://bench/$side-$i" "${S3[@]}"
    psql -p "$PRIMARY" postgres -c "CREATE DATABASE restored"
    settle
    timed "restore_$side" "$(cli "$side")" restore latest --parts database --store "s3://bench/$side-$i" "${S3[@]}" --target "Host=127.0.0.1;Port=$PRIMARY;Username=postgres;Database=restored"
    psql -p "$PRIMARY" postgres -c "DROP DATABASE restored"
  done
done
PARTS=$(curl -sf "http://127.0.0.1:$MOTO/bench?list-type=2&prefix=ours-1/" | grep -o '<Key>[^<]*/parts/[^<]*</Key>' | wc -l)

cat <<MD
### Many small tables through S3

\`scripts/bench-s3-tables.sh\` (TABLES=$TABLES, LATENCY_MS=$LATENCY_MS, REPS=$REPS$([ -n "$BASE" ] && echo ", BASE=$BASE")), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD):
$TABLES tables of 100 rows (a key and an index each) backed up from the standby into a moto S3 bucket behind a proxy adding $LATENCY_MS ms
to every request, and restored from it into a new database (the environment settled before each restore). This tree's backup
stores $PARTS parts. Medians of wall seconds.

$(side_header)
$(side_row "\`backup\`" backup)
$(side_row "\`restore\` (check, load, verify, indexes, swap)" restore)
MD
