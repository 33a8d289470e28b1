#!/usr/bin/env bash
# Benchmark (not a test). `scripts/bench-drill.sh [N] [drill|detection]`:
#   drill      median failover-drill RTO over N drills (default 5) and its split, beside pg_ctl promote;
#   detection  detection time through the alert path (drill --detect alert) beside the probe loop.
# Rewrites that section of docs/benchmarks.md (between its markers).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
mode="${2:-drill}"
case "$mode" in drill|detection) ;; *) echo "usage: scripts/bench-drill.sh [N] [drill|detection]" >&2; exit 2 ;; esac
scripts/install-prerequisites.sh
dotnet build bench/AutoVideo.DR.Benchmarks -c Release -nologo -v quiet -o .build/bench >/dev/null
section=$(dotnet .build/bench/AutoVideo.DR.Benchmarks.dll "$mode" "$runs")
doc=docs/benchmarks.md
[ -f "$doc" ] || printf '# Benchmarks\n\nTimed figures live here, made by the scripts named in each section; tests never time anything.\n' > "$doc"
# Replace the section between its markers, or append it.
MODE="$mode" SECTION="$section" perl -0pi -e 's/<!-- $ENV{MODE}:begin.*?<!-- $ENV{MODE}:end -->\n?//s; $_ .= "\n" . $ENV{SECTION} . "\n"' "$doc"
echo "$section"
