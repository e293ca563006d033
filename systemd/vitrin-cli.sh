#!/bin/sh
# vitrin: the command line of the installed gateway (install.sh puts it in
# /usr/local/bin/vitrin). It reads the config, the data directory and the roster key
# as vitrin.service does, so `sudo vitrin doctor`, `sudo vitrin config check` and
# `sudo vitrin roster import members.json` need no flags.
set -eu
NODE=/usr/bin/node
APP=/opt/vitrin/dist/gateway/bin.js

if [ -r /etc/vitrin/environment ]; then
  set -a
  . /etc/vitrin/environment
  set +a
fi
: "${VITRIN_CONFIG:=/etc/vitrin/config.yaml}"
: "${VITRIN_DATA__DIR:=/var/lib/vitrin}"
export VITRIN_CONFIG VITRIN_DATA__DIR
# The service gets the key as the credential roster-key; root reads the same file.
if [ -z "${CREDENTIALS_DIRECTORY:-}" ] && [ -r /etc/vitrin/roster-key ]; then
  CREDENTIALS_DIRECTORY=/etc/vitrin
  export CREDENTIALS_DIRECTORY
fi

if [ "$(id -u)" = 0 ] && [ "${1:-}" = roster ] && id vitrin >/dev/null 2>&1; then
  # Files root makes in the data directory must stay the service's, or it cannot open them.
  status=0
  "$NODE" "$APP" "$@" || status=$?
  [ -d "$VITRIN_DATA__DIR" ] && chown -R vitrin:vitrin "$VITRIN_DATA__DIR"
  exit "$status"
fi
exec "$NODE" "$APP" "$@"
