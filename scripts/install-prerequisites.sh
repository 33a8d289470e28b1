#!/usr/bin/env bash
# Installs what the drill and the tests need on a fresh machine, and nothing that is there.
set -euo pipefail
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
updated=""
apt_install() {
  [ -n "$updated" ] || { $sudo_cmd apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/postgres" ]; then
  echo "installing PostgreSQL 15 (not found at $pg_bin)" >&2
  apt_install postgresql-15 postgresql-contrib
fi

# The backup's copy workers read through libpq (LibPqSession), which postgresql-15 brings with its client.
if ! /sbin/ldconfig -p | grep -q 'libpq\.so\.5 '; then
  echo "installing libpq5 (libpq.so.5 not found)" >&2
  apt_install libpq5
fi

# The monitoring path (local up --monitoring, promtool test rules). The tests start their own
# processes on free loopback ports and never use the packages' system services, so the install
# asks Debian not to start them (policy-rc.d exit 101: "action forbidden") where no policy exists.
monitoring=()
for program in prometheus:prometheus promtool:prometheus prometheus-alertmanager:prometheus-alertmanager \
               prometheus-pushgateway:prometheus-pushgateway prometheus-postgres-exporter:prometheus-postgres-exporter; do
  command -v "${program%%:*}" >/dev/null 2>&1 || monitoring+=("${program#*:}")
done
if [ ${#monitoring[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${monitoring[@]}" | sort -u | tr '\n' ' ')
  echo "installing $packages(not on PATH)" >&2
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
    own_policy=1
  fi
  # shellcheck disable=SC2086
  apt_install $packages || status=$?
  [ -z "$own_policy" ] || $sudo_cmd rm -f "$policy"
  [ "${status:-0}" -eq 0 ] || exit "$status"
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  # The local environment's Redis primary and replica, and the cache backup (redis-cli --rdb).
  echo "installing redis-server (redis-server or redis-cli not found)" >&2
  apt_install redis-server
  # Tests and the local environment start their own servers on free ports; the packaged service is not needed.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then $sudo_cmd systemctl stop redis-server || true; fi
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
