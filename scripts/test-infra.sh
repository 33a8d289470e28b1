#!/usr/bin/env bash
# Stack tests: installs the Pulumi program's npm packages from its lock file, type-checks the
# program and runs tests/infra under Pulumi's mocks (prod, dr as standby, dr promoted, bad
# config, stack files). No cloud account or pulumi CLI is needed; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../infra"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-infra: node and npm are required (node 20 or later)" >&2
  exit 1
fi
# --ignore-scripts: no package here needs its install script, and @pulumi/kubernetes' would try
# to download a provider plugin, which the mocks never use.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npx --no-install tsc --noEmit -p .
# The tests live outside infra/; NODE_PATH lets them load the very same @pulumi/pulumi instance
# (and so the same mock runtime) as the program.
NODE_PATH="$PWD/node_modules" node --test --import tsx ../tests/infra/*.test.ts
