#!/usr/bin/env bash
# Benchmark (not a test): the RPO of a recovery from the store alone. Runs `drill --restore pitr`
# REPS times (default 5): the standby is treated as unusable, the critical runbook restores its node
# from the pgBackRest repository (WAL archive + the first full backup), and the drill's ledger
# counts the acknowledged commits that are not on the restored primary. Prints medians (and the
# spread) of that loss, the runbook's own count from the dead primary's WAL, and the RTO, with the
# archive settings they were measured with, as a Markdown section for docs/benchmarks.md (between
# the pitr-rpo markers).
#
#   scripts/bench-pitr-rpo.sh               # 5 drills, --warm-up 4
#   REPS=7 WARMUP=6 scripts/bench-pitr-rpo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-5}
WARMUP=${WARMUP:-4}
WORK=$(mktemp -d /tmp/avdr-bench-rpo-XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

dotnet build -c Release recovery/AutoVideo.DR.Cli -v q -nologo >/dev/null
CLI=(dotnet recovery/AutoVideo.DR.Cli/bin/Release/net10.0/autovideo-dr.dll)

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print (m == int(m)) ? m : sprintf("%.3f", m)}'; }
range() { printf '%s\n' "$@" | sort -g | awk 'function f(x) {return (x == int(x)) ? x : sprintf("%.3f", x)} NR==1 {min=$1} {max=$1} END {print f(min) "–" f(max)}'; }

lost=(); seconds=(); own=(); acked=(); rto=()
for i in $(seq 1 "$REPS"); do
  # Each drill creates its own environment and removes it: the drills share nothing.
  out=$("${CLI[@]}" drill --workdir "$WORK/env-$i" --out "$WORK/reports-$i" --warm-up "$WARMUP" --restore pitr --json 2>"$WORK/drill-$i.log") \
    || { echo "bench-pitr-rpo: drill $i failed (log: $WORK/drill-$i.log)" >&2; tail -5 "$WORK/drill-$i.log" >&2; trap - EXIT; exit 1; }
  lost+=("$(jq -r '.dataLoss.lostCommits' <<<"$out")")
  seconds+=("$(jq -r '.dataLoss.seconds' <<<"$out")")
  own+=("$(jq -r '.runbookDataLoss.lostCommits // "unknown"' <<<"$out")")
  acked+=("$(jq -r '.acknowledgedCommits' <<<"$out")")
  rto+=("$(jq -r '.rtoSeconds' <<<"$out")")
  echo "drill $i: ${lost[-1]} of ${acked[-1]} acknowledged commits lost, spanning ${seconds[-1]} s (runbook: ${own[-1]}); RTO ${rto[-1]} s" >&2
done

echo "<!-- pitr-rpo:begin (made by scripts/bench-pitr-rpo.sh; do not edit by hand) -->"
echo "### RPO of a recovery from the store alone"
echo
echo "\`scripts/bench-pitr-rpo.sh\` (REPS=$REPS, WARMUP=$WARMUP), $(date -u +%Y-%m-%d): $REPS runs of \`drill --restore pitr --warm-up $WARMUP\`, each on"
echo "its own local environment; machine: $(nproc) CPUs, pgBackRest $(pgbackrest version | cut -d' ' -f2), PostgreSQL 15."
echo
echo "Archive settings (the local environment's): \`archive_mode = on\`, \`archive_command\` = pgBackRest"
echo "\`archive-push\` with \`archive-async=y\` (\`process-max=2\`, zstd), \`archive_timeout = 60s\`. The drill"
echo "closes a segment (\`pg_switch_wal()\`, what \`archive_timeout\` does), waits until it is archived,"
echo "then lets the workload write for $(echo "$WARMUP / 2" | bc -l | sed 's/0*$//;s/\.$//') s more before it kills the primary: the loss measured is what the"
echo "archive had not received (the commits made since the switch, while the segment was pushed too), the"
echo "quantity \`archive_timeout\` bounds in production (at most 60 s plus the push)."
echo
echo "| figure | median | range over $REPS drills |"
echo "| --- | --- | --- |"
echo "| acknowledged commits lost (the drill's ledger) | $(median "${lost[@]}") | $(range "${lost[@]}") |"
echo "| time those commits span (s) | $(median "${seconds[@]}") | $(range "${seconds[@]}") |"
echo "| lost commits the runbook counted itself (dead primary's WAL) | $(median "${own[@]}") | $(range "${own[@]}") |"
echo "| acknowledged commits in the drill | $(median "${acked[@]}") | $(range "${acked[@]}") |"
echo "| RTO, disaster to the first commit on the restored primary (s) | $(median "${rto[@]}") | $(range "${rto[@]}") |"
echo
echo "Reproduce: \`scripts/bench-pitr-rpo.sh\` (\`REPS\` default 5, \`WARMUP\` default 4)."
echo "<!-- pitr-rpo:end -->"
