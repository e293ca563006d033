#!/usr/bin/env bash
# Removes what systemd/install.sh installed:
#
#   sudo /opt/vitrin/systemd/uninstall.sh           the service, /opt/vitrin, /usr/local/bin/vitrin
#   sudo /opt/vitrin/systemd/uninstall.sh --purge   also /etc/vitrin (config AND roster key),
#                                                   /var/lib/vitrin (every stored event) and the user
#
# Without --purge the store's config, roster key and data stay, so installing again
# picks up where the box left off. Idempotent. VITRIN_ROOT as for install.sh.
set -euo pipefail

ROOT="${VITRIN_ROOT:-}"
ROOT="${ROOT%/}"
APP_DIR=/opt/vitrin
CONF_DIR=/etc/vitrin
STATE_DIR=/var/lib/vitrin
UNIT=/etc/systemd/system/vitrin.service
COMMAND=/usr/local/bin/vitrin
SERVICE_USER=vitrin

say() { printf 'vitrin uninstall: %s\n' "$*"; }
skipped() { printf 'vitrin uninstall: skipped: %s\n' "$*"; }
staging() { [ -n "$ROOT" ]; }

purge=0
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) printf 'vitrin uninstall: VITRIN_ERR_CLI_USAGE: unknown argument %s (only --purge)\n' "$arg" >&2; exit 2 ;;
  esac
done
if ! staging && [ "$(id -u)" != 0 ]; then
  printf 'vitrin uninstall: run it with sudo: sudo %s\n' "$0" >&2
  exit 1
fi

if staging; then
  skipped "systemctl disable --now vitrin.service"
elif [ -d /run/systemd/system ]; then
  systemctl disable --now vitrin.service 2>/dev/null || true
fi
if [ -e "$ROOT$UNIT" ] || [ -d "$ROOT$UNIT.d" ]; then
  rm -rf "$ROOT$UNIT" "$ROOT$UNIT.d"
  say "removed $UNIT"
fi
if staging; then
  skipped "systemctl daemon-reload"
elif [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl reset-failed vitrin.service 2>/dev/null || true
fi

rm -f "$ROOT$COMMAND"
if [ -e "$ROOT$APP_DIR" ]; then
  rm -rf "$ROOT$APP_DIR"
  say "removed $APP_DIR and $COMMAND"
fi

if [ "$purge" = 1 ]; then
  rm -rf "$ROOT$CONF_DIR" "$ROOT$STATE_DIR"
  say "purged $CONF_DIR (config and roster key) and $STATE_DIR (the data)"
  if staging; then
    skipped "userdel $SERVICE_USER"
  elif getent passwd "$SERVICE_USER" >/dev/null; then
    userdel "$SERVICE_USER"
    say "removed user $SERVICE_USER"
  fi
else
  say "kept $CONF_DIR (config, roster key) and $STATE_DIR (data) and the user $SERVICE_USER; --purge removes them"
fi
