#!/usr/bin/env bash
# Benchmark (not a test): median failover-drill RTO over N drills (default 5) and its split, beside
# pg_ctl promote in the same run. Rewrites the "Failover drill RTO" section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
scripts/install-prerequisites.sh
dotnet build bench/AutoVideo.DR.Benchmarks -c Release -nologo -v quiet -o .build/bench >/dev/null
section=$(dotnet .build/bench/AutoVideo.DR.Benchmarks.dll drill "$runs")
doc=docs/benchmarks.md
[ -f "$doc" ] || printf '# Benchmarks\n\nTimed figures live here, made by the scripts named in each section; tests never time anything.\n' > "$doc"
# Replace the section between its markers, or append it.
SECTION="$section" perl -0pi -e 's/<!-- drill:begin.*?<!-- drill:end -->\n?//s; $_ .= "\n" . $ENV{SECTION} . "\n"' "$doc"
echo "$section"
