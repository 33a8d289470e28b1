#!/usr/bin/env bash
# Benchmark (not a test): what reading a table's COPY out costs the client, Npgsql against libpq. The
# backup's workers and the restore's read-back read every row this way; the server sends one message
# per row. Starts a local environment, fills it with pgbench at SCALE, and reads pgbench_accounts from
# the standby with 1 and with 2 sessions at once (each the whole table), REPS times, the client going
# first alternating. Prints a Markdown section for docs/benchmarks.md ("Reading COPY out").
#
#   scripts/bench-copy-read.sh                 # scale 10, 7 repetitions
#   SCALE=50 REPS=5 scripts/bench-copy-read.sh
set -Eeuo pipefail
trap 'echo "bench-copy-read.sh: line $LINENO failed (exit $?)" >&2' ERR
cd "$(dirname "$0")/.."

SCALE=${SCALE:-10}
REPS=${REPS:-7}
PGBIN=${AUTOVIDEO_DR_PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/avdr-bench-copy-XXXXXX)
chmod 755 "$WORK"
dotnet publish recovery/AutoVideo.DR.Cli -c Release -r linux-x64 -o "$WORK/cli" -v q -nologo >/dev/null
CLI=("$WORK/cli/autovideo-dr" --workdir "$WORK/env")
cleanup() { "${CLI[@]}" local down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

"${CLI[@]}" local up >/dev/null
STATUS=$("${CLI[@]}" local status --json)
PRIMARY=$(jq -r '.nodes[] | select(.role=="primary") | .port' <<<"$STATUS")
STANDBY=$(jq -r '.nodes[] | select(.role=="standby") | .port' <<<"$STATUS")
"$PGBIN/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PRIMARY" -U postgres autovideo >/dev/null 2>&1
# The standby has replayed the load once it holds every row.
until [ "$("$PGBIN/psql" -X -At -h 127.0.0.1 -p "$STANDBY" -U postgres -c 'SELECT count(*) FROM pgbench_accounts' autovideo 2>/dev/null)" = "$((SCALE * 100000))" ]; do sleep 0.5; done

APP=scripts/bench-copy-read/CopyRead.cs
dotnet build -c Release "$APP" -v q -nologo >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=$(for streams in 1 2; do dotnet run -c Release --no-build "$APP" -- "Host=127.0.0.1;Port=$STANDBY;Username=postgres;Database=autovideo" pgbench_accounts "$streams" "$REPS"; done)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<MD
## Reading COPY out: Npgsql against libpq

\`scripts/bench-copy-read.sh\` (SCALE=$SCALE, REPS=$REPS), $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD): \`COPY pgbench_accounts TO STDOUT\`
($((SCALE * 100000)) rows) from the local standby, by 1 and by 2 sessions at once, each reading the whole table and
discarding it; the two clients alternate, medians. CPU is the reading process's (user + system), not the
servers'. Machine: $(nproc) CPUs. Load average before $LOAD_BEFORE, after $LOAD_AFTER.

| sessions | client | wall s | CPU s | runs (wall s) | MiB per session |
|---:|---|---:|---:|---|---:|
$ROWS
MD
