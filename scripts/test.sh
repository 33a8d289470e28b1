#!/usr/bin/env bash
# Runs every test of the repository from a fresh clone: installs what the tests need
# (PostgreSQL 15, npm packages), then the stack tests and the C# tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
scripts/test-infra.sh
dotnet test AutoVideo.DR.sln -c Release --logger "console;verbosity=normal"
