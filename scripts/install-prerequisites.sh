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
# pgBackRest archives the local environment's WAL and takes its physical backups (point-in-time recovery).
if ! command -v pgbackrest >/dev/null 2>&1; then
  echo "installing pgbackrest (not found on PATH)" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq pgbackrest >/dev/null
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "warning: moto_server not on PATH; the S3 store tests need it (pip install 'moto[server]')" >&2
fi
