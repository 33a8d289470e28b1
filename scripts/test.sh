#!/usr/bin/env bash
# Runs every test of the repository from a fresh clone: installs what the tests need
# (PostgreSQL 15, Prometheus and its exporters, npm packages), then the alert-rule tests, the
# stack tests and the C# tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prerequisites.sh
promtool check rules monitoring/alerts.yaml
promtool test rules monitoring/alerts.test.yaml
scripts/test-infra.sh
dotnet test AutoVideo.DR.sln -c Release --logger "console;verbosity=normal"
