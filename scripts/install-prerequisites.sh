#!/usr/bin/env bash
# Installs what the drill and the tests need on a fresh machine, and nothing that is there.
set -euo pipefail
pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/postgres" ]; then
  echo "installing PostgreSQL 15 (not found at $pg_bin)" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql-15 postgresql-contrib >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  # The local environment's Redis primary and replica, and the cache backup (redis-cli --rdb).
  echo "installing redis-server (redis-server or redis-cli not found)" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq redis-server >/dev/null
  # Tests and the local environment start their own servers on free ports; the packaged service is not needed.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then $sudo_cmd systemctl stop redis-server || true; fi
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "warning: moto_server not on PATH; the S3 store tests need it (pip install 'moto[server]')" >&2
fi
