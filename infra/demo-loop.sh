#!/bin/sh
# Runs a producer again and again (demo traffic for docker compose): demo-loop.sh SECONDS program args...
# Stops at once on SIGTERM/SIGINT, between runs or during the pause.
interval="$1"
shift
trap 'exit 0' TERM INT
while :; do
  "$@" || echo "demo-loop: $* failed (exit $?); trying again" >&2
  sleep "$interval" &
  wait $!
done
