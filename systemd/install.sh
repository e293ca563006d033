#!/usr/bin/env bash
# Installs or upgrades Vitrin as a systemd service, from a built Vitrin folder
# (dist/ present: npm ci && npm run build):
#
#   sudo ./systemd/install.sh
#
# Idempotent: run it again to upgrade. It never overwrites the store's config
# (/etc/vitrin/config.yaml) or roster key (/etc/vitrin/roster-key).
#
#   code        /opt/vitrin (root's, read-only to the service), production dependencies
#               from npm ci --omit=dev
#   config      /etc/vitrin/config.yaml (root:vitrin 0640), a starter file the first time
#   roster key  /etc/vitrin/roster-key (root 0600, 64 hex digits), made once
#   data        /var/lib/vitrin (vitrin 0700)
#   unit        /etc/systemd/system/vitrin.service, enabled and (re)started
#   command     /usr/local/bin/vitrin
#
# Environment, for packaging and tests:
#   VITRIN_ROOT=/tmp/x  install under this root instead of / (like DESTDIR). The system
#                       user, chown and systemctl are then skipped, and printed as
#                       "skipped: ..." lines.
#   VITRIN_SKIP_NPM=1   do not run npm ci (printed as a "skipped: ..." line)
#   VITRIN_TEST_UNAME_M, VITRIN_TEST_LONG_BIT, VITRIN_TEST_NODE_VERSION,
#   VITRIN_TEST_NODE_ARCH  stand in for uname -m, getconf LONG_BIT, node -v and Node's
#                       process.arch, so tests can play a 32-bit or an old system.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${VITRIN_ROOT:-}"
ROOT="${ROOT%/}"
APP_DIR=/opt/vitrin
CONF_DIR=/etc/vitrin
STATE_DIR=/var/lib/vitrin
UNIT=/etc/systemd/system/vitrin.service
COMMAND=/usr/local/bin/vitrin
SERVICE_USER=vitrin
MIN_NODE=20.12

say() { printf 'vitrin install: %s\n' "$*"; }
skipped() { printf 'vitrin install: skipped: %s\n' "$*"; }
refuse() {
  printf 'vitrin install: VITRIN_ERR_INSTALL_UNSUPPORTED: %s\n' "$1" >&2
  printf '  fix: %s\n' "$2" >&2
  exit 1
}
staging() { [ -n "$ROOT" ]; }
# Runs a command that changes the host (users, ownership, systemd), or says it was skipped.
host() {
  if staging; then skipped "$*"; else "$@"; fi
}

# --- Preflight: refuse before changing anything. --------------------------------------

machine="${VITRIN_TEST_UNAME_M:-$(uname -m)}"
case "$machine" in
  x86_64 | amd64 | aarch64 | arm64) ;;
  armv6l | armv7l | armhf | arm | i386 | i486 | i586 | i686)
    refuse "this is a 32-bit OS (uname -m: $machine); ONNX Runtime, which scores the shoppers, ships 64-bit binaries only" \
      "install the 64-bit OS: Raspberry Pi OS (64-bit) on a Pi 4 or 5, Debian amd64 on a mini-PC" ;;
  *)
    refuse "unsupported CPU architecture $machine; ONNX Runtime ships binaries for x86_64 and aarch64 only" \
      "use a Raspberry Pi 4/5 with a 64-bit OS or an x86_64 mini-PC" ;;
esac
bits="${VITRIN_TEST_LONG_BIT:-$(getconf LONG_BIT)}"
if [ "$bits" != 64 ]; then
  refuse "the kernel is 64-bit ($machine) but the OS is 32-bit (getconf LONG_BIT: $bits), as with Raspberry Pi OS (32-bit) on a Pi 4 or 5; ONNX Runtime ships 64-bit binaries only" \
    "reinstall the SD card with Raspberry Pi OS (64-bit) (Raspberry Pi Imager: Raspberry Pi OS (64-bit))"
fi

NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ]; then
  refuse "Node.js is not installed" \
    "install Node 20 or 22 system-wide from NodeSource: curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs"
fi
node_version="${VITRIN_TEST_NODE_VERSION:-$("$NODE_BIN" -v)}"
node_version="${node_version#v}"
node_major="${node_version%%.*}"
node_minor="${node_version#*.}"
node_minor="${node_minor%%.*}"
if ! [[ "$node_major" =~ ^[0-9]+$ && "$node_minor" =~ ^[0-9]+$ ]] || [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 12 ]; }; then
  refuse "Node $node_version is too old; Vitrin needs Node $MIN_NODE or newer (Debian 12 and Raspberry Pi OS ship Node 18)" \
    "install Node 20 from NodeSource: curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs"
fi
node_arch="${VITRIN_TEST_NODE_ARCH:-$("$NODE_BIN" -p process.arch)}"
case "$node_arch" in
  x64 | arm64) ;;
  *) refuse "node at $NODE_BIN is a $node_arch (32-bit) build; ONNX Runtime ships 64-bit binaries only" \
       "install the 64-bit Node (arm64 or x64) from NodeSource: https://github.com/nodesource/distributions" ;;
esac
NODE_BIN="$(readlink -f "$NODE_BIN")"
case "$NODE_BIN" in
  /home/* | /root/* | /run/user/*)
    if staging; then
      say "warning: node is at $NODE_BIN; the service cannot run it from there (ProtectHome=yes)"
    else
      refuse "node is at $NODE_BIN (nvm or a per-user install); the hardened service cannot see home directories (ProtectHome=yes)" \
        "install Node system-wide from NodeSource (it goes to /usr/bin/node): curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs"
    fi ;;
esac

[ -f "$SRC/dist/gateway/bin.js" ] || refuse "$SRC has no build (dist/gateway/bin.js is missing)" "build it first: cd $SRC && npm ci && npm run build"
if ! staging && [ "$(id -u)" != 0 ]; then
  refuse "installing a system service needs root" "run it with sudo: sudo $0"
fi
if [ "${VITRIN_SKIP_NPM:-}" != 1 ] && ! command -v npm >/dev/null; then
  refuse "npm is not installed" "install Node with npm (NodeSource's nodejs package includes it)"
fi

say "installing Vitrin $(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$SRC/package.json") from $SRC${ROOT:+ into $ROOT} (node $node_version, $machine)"

# --- The service user. ----------------------------------------------------------------

if staging; then
  skipped "useradd --system $SERVICE_USER"
elif getent passwd "$SERVICE_USER" >/dev/null; then
  say "user $SERVICE_USER exists"
else
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin --comment 'Vitrin store gateway' "$SERVICE_USER"
  say "created system user $SERVICE_USER"
fi
# ble.binding: dbus talks to bluetoothd, which admits the bluetooth group.
if ! staging && getent group bluetooth >/dev/null && ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx bluetooth; then
  usermod -aG bluetooth "$SERVICE_USER"
fi

# --- The code. ------------------------------------------------------------------------

app="$ROOT$APP_DIR"
mkdir -p "$app"
# Each folder is copied beside the old one and swapped in, so an interrupted upgrade
# leaves a whole old or a whole new folder. -p keeps times: a second run changes nothing.
for dir in dist models config docs systemd; do
  [ -d "$SRC/$dir" ] || continue
  rm -rf "$app/.$dir.new"
  cp -Rp "$SRC/$dir" "$app/.$dir.new"
  rm -rf "$app/$dir"
  mv "$app/.$dir.new" "$app/$dir"
done
for file in package.json package-lock.json .npmrc README.md; do
  [ -f "$SRC/$file" ] && cp -p "$SRC/$file" "$app/$file"
done
rm -f "$app/dist/.tsbuildinfo"
chmod -R u=rwX,go=rX "$app"
host chown -R root:root "$APP_DIR"
say "code in $APP_DIR"

# npm ci replaces node_modules wholesale; skip it when the lock file, Node and the CPU are unchanged.
stamp="$(sha256sum "$app/package-lock.json" | cut -d' ' -f1) node-$node_version $node_arch"
if [ "${VITRIN_SKIP_NPM:-}" = 1 ]; then
  skipped "npm ci --omit=dev in $APP_DIR"
elif [ -f "$app/node_modules/.vitrin-stamp" ] && [ "$(cat "$app/node_modules/.vitrin-stamp")" = "$stamp" ]; then
  say "dependencies are up to date"
else
  say "installing production dependencies (npm ci --omit=dev; native modules for $machine)"
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund)
  printf '%s\n' "$stamp" >"$app/node_modules/.vitrin-stamp"
  chmod -R u=rwX,go=rX "$app/node_modules"
fi

# --- The command line. ----------------------------------------------------------------

mkdir -p "$ROOT$(dirname "$COMMAND")"
sed "s#^NODE=.*#NODE=$NODE_BIN#" "$SRC/systemd/vitrin-cli.sh" >"$ROOT$COMMAND.new"
chmod 0755 "$ROOT$COMMAND.new"
mv "$ROOT$COMMAND.new" "$ROOT$COMMAND"

# --- Config and the roster key: made once, never overwritten. -------------------------

conf="$ROOT$CONF_DIR"
mkdir -p "$conf"
chmod 0750 "$conf"
host chown root:"$SERVICE_USER" "$CONF_DIR"
new_config=0
if [ -e "$conf/config.yaml" ]; then
  say "kept the store's config $CONF_DIR/config.yaml"
else
  (umask 027 && cp "$SRC/config/examples/starter.yaml" "$conf/config.yaml")
  chmod 0640 "$conf/config.yaml"
  host chown root:"$SERVICE_USER" "$CONF_DIR/config.yaml"
  new_config=1
  say "wrote a starter config to $CONF_DIR/config.yaml: set the store's id, zones, receivers and terminals (examples: $APP_DIR/config/examples/)"
fi

key="$conf/roster-key"
if [ -e "$key" ]; then
  grep -Eqx '[0-9a-fA-F]{64}' "$key" || say "warning: $CONF_DIR/roster-key is not 64 hex digits; the service will refuse it (VITRIN_ERR_ROSTER_KEY)"
  say "kept the roster key $CONF_DIR/roster-key"
else
  (
    umask 077
    if command -v openssl >/dev/null; then openssl rand -hex 32 >"$key.new"; else od -vAn -N32 -tx1 /dev/urandom | tr -d ' \n' >"$key.new" && echo >>"$key.new"; fi
    mv "$key.new" "$key"
  )
  say "made a new roster key $CONF_DIR/roster-key: back it up with the data directory (README: Backing up)"
fi
chmod 0600 "$key"
host chown root:root "$CONF_DIR/roster-key"

# --- The data directory (systemd would make it at start; roster import may come first). -

mkdir -p "$ROOT$STATE_DIR"
chmod 0700 "$ROOT$STATE_DIR"
host chown "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"

# --- The unit. ------------------------------------------------------------------------

unit="$ROOT$UNIT"
mkdir -p "$(dirname "$unit")"
sed "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" "$SRC/systemd/vitrin.service" >"$unit.new"
chmod 0644 "$unit.new"
if [ -f "$unit" ] && cmp -s "$unit" "$unit.new"; then
  rm -f "$unit.new"
  say "unit $UNIT unchanged"
else
  mv "$unit.new" "$unit"
  say "unit $UNIT installed"
fi

# The config as the new code reads it; the service refuses to start on the same problems.
config_ok=1
checker=""
if [ -d "$app/node_modules" ]; then checker="$app/dist/gateway/bin.js"; elif [ -d "$SRC/node_modules" ]; then checker="$SRC/dist/gateway/bin.js"; fi
if [ -z "$checker" ]; then
  skipped "vitrin config check $CONF_DIR/config.yaml (no node_modules to run it with)"
elif ! env -i PATH="$PATH" "$NODE_BIN" "$checker" config check "$conf/config.yaml"; then
  config_ok=0
  say "warning: $CONF_DIR/config.yaml has problems (above); the service will not start until they are fixed"
fi

if staging; then
  skipped "systemctl daemon-reload"
  skipped "systemctl enable vitrin.service"
  skipped "systemctl restart vitrin.service"
elif [ ! -d /run/systemd/system ]; then
  say "warning: systemd is not running on this machine (a container?); the unit is installed but not started"
else
  systemctl daemon-reload
  systemctl enable vitrin.service
  if [ "$config_ok" = 1 ]; then
    systemctl restart vitrin.service
    say "vitrin.service (re)started"
  else
    say "vitrin.service enabled, not started: fix the config, then sudo systemctl restart vitrin"
  fi
fi

say "done. Check the box with: sudo vitrin doctor   Logs: journalctl -u vitrin -f"
if [ "$new_config" = 1 ]; then say "next: edit $CONF_DIR/config.yaml, then sudo vitrin config check && sudo systemctl restart vitrin"; fi
