#!/usr/bin/env bash
# Benchmark (not a test): what finding a backup costs when the store holds many. BACKUPS synthetic
# backups in an S3 bucket (moto), reached through a proxy that adds LATENCY_MS to every request (an
# S3 round trip; moto on loopback answers in a millisecond or two). Times `backups list` and
# `restore latest` (which stops at the part check: the synthetic parts do not exist) for the CLI
# built from this tree, and with BASE=<revision> for that revision's too, interleaved, REPS runs
# each. Prints a Markdown section for docs/benchmarks.md ("Finding a backup in a store").
#
#   BASE=bfd3b9e scripts/bench-catalog.sh          # 300 backups, 20 ms, 5 runs
#   BACKUPS=1000 LATENCY_MS=40 scripts/bench-catalog.sh
#   BACKUPS=168 PARTS=60 scripts/bench-catalog.sh    # a week of hourly backups of 60 parts each, with throughput records
set -Eeuo pipefail
trap 'echo "bench-catalog.sh: line $LINENO failed (exit $?)" >&2' ERR
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

BACKUPS=${BACKUPS:-300}
PARTS=${PARTS:-1}
LATENCY_MS=${LATENCY_MS:-20}
REPS=${REPS:-5}
BASE=${BASE:-}
WORK=$(mktemp -d /tmp/avdr-bench-catalog-XXXXXX)
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [ -z "$BASE" ] || git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

publish_sides

start_slow_s3 "$WORK" "$LATENCY_MS"
curl -sf -X PUT "http://127.0.0.1:$MOTO/catalog" >/dev/null
(cd scripts/bench-catalog && dotnet run SyntheticBackups.cs -- "http://127.0.0.1:$MOTO" catalog dr "$BACKUPS" "$PARTS" >/dev/null)
STORE=(--store s3://catalog/dr --s3-endpoint "http://127.0.0.1:$PROXY" --s3-path-style --workdir "$WORK/none" --metrics-file "$WORK/m.prom")

# timed NAME CMD...: wall seconds of CMD appended to $WORK/NAME; a restore is expected to stop at its part check.
timed() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/out" 2>&1 || grep -q "is missing; refusing to restore" "$WORK/out" || { cat "$WORK/out" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l >>"$WORK/$name"
}

for i in $(seq 1 "$REPS"); do
  order=("${SIDES[@]}"); (( i % 2 )) || order=($(printf '%s\n' "${SIDES[@]}" | tac))
  for side in "${order[@]}"; do
    timed "list_$side" "$(cli "$side")" backups list "${STORE[@]}"
    timed "restore_$side" "$(cli "$side")" restore latest --parts database --target "Host=127.0.0.1;Port=1;Username=bench;Database=none" "${STORE[@]}"
  done
done

cat <<MD
## Finding a backup in a store

\`scripts/bench-catalog.sh\` (BACKUPS=$BACKUPS, PARTS=$PARTS, LATENCY_MS=$LATENCY_MS, REPS=$REPS$([ -n "$BASE" ] && echo ", BASE=$BASE")), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD):
$BACKUPS synthetic backups of $PARTS object(s) each (with PARTS > 1 a throughput record each too) in a moto S3 bucket behind a proxy adding $LATENCY_MS ms to every request. Medians of wall seconds.

$(side_header)
$(side_row "\`backups list\`" list)
$(side_row "\`restore latest\`, up to its part check" restore)
MD
