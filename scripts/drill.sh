#!/usr/bin/env bash
# The main job: a DR drill on this machine. Builds the CLI, starts a local PostgreSQL primary and
# standby, injects a disaster under a write workload, recovers, and writes the DR test report.
# Extra arguments go to `autovideo-dr drill` (e.g. --owner "Mei", --disaster stop-primary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
echo "building autovideo-dr ..." >&2
dotnet build recovery/AutoVideo.DR.Cli -c Release -nologo -v quiet -o .build/cli >/dev/null
# /tmp, not the checkout: as root the servers run as the postgres user, who must reach the directory.
workdir="${AUTOVIDEO_DR_HOME:-/tmp/autovideo-dr-drill-$$}"
exec dotnet .build/cli/autovideo-dr.dll drill --workdir "$workdir" --out reports "$@"
