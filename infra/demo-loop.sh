#!/bin/sh
# Runs a producer again and again (demo traffic for docker compose): demo-loop.sh SECONDS program args...
# SIGTERM/SIGINT reach the running program, which finishes cleanly; then the loop ends.
# (A shell runs its traps only after a foreground command ends, so the program runs in the
# background and the shell waits for it.)
interval="$1"
shift
child=
stop() {
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  exit 0
}
trap stop TERM INT
while :; do
  "$@" &
  child=$!
  wait "$child" || echo "demo-loop: $1 failed (exit $?); trying again" >&2
  sleep "$interval" &
  child=$!
  wait "$child"
done
