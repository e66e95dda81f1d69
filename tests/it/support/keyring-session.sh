#!/usr/bin/env bash
# Runs inside `dbus-run-session`: starts a private, unlocked gnome-keyring (Secret
# Service) with its own XDG dirs, prints the bus address, and keeps the session alive
# until the test closes our stdin. Usage: keyring-session.sh DIR
set -euo pipefail
dir=$1
export HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" XDG_RUNTIME_DIR="$dir/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# The password comes on stdin, as gnome-keyring-daemon --unlock wants it.
printf 'octoken-test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
# Wait for the test to let go (stdin closes), then end the session and the daemon.
cat >/dev/null
