#!/usr/bin/env bash
# The test suite's own platform, where users run: RabbitMQ 4.3 on Node 24, from Debian testing (forky), in a
# root made with debootstrap and entered with chroot, the repository mounted at /repo with node_modules of its
# own (native addons follow the Node that runs them). As root, on a Debian 12 or 13 host; nothing of the
# host is changed but the root's folder. Whatever a command starts or mounts there lives in namespaces of
# its own: when the command ends, however it ends, nothing stays mounted or running.
#
#   infra/testing-root.sh create           make the root (about two minutes), or keep the complete one there
#   infra/testing-root.sh run CMD [ARG...] run CMD in /repo inside the root, e.g. run npx vitest run apps/hello
#   infra/testing-root.sh shell            a shell there
#
# RT_TESTING_ROOT: where the root is (default /var/cache/rabbit-tutorials/forky); RT_DEBIAN_MIRROR: the
# Debian mirror (default http://deb.debian.org/debian). The root's programs share the host's network:
# their brokers listen on loopback, on free ports, with an epmd of each command's own (the first free port
# from 4370, or RT_EPMD_PORT), so the host's own RabbitMQ is neither used nor disturbed.
set -euo pipefail

ROOT=${RT_TESTING_ROOT:-/var/cache/rabbit-tutorials/forky}
MIRROR=${RT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=$(cd "$(dirname "$0")/.." && pwd)
# What the suite uses: the broker, Node, certificates for the TLS tests, pika for the interoperability
# tests, HAProxy for the cluster's load balancer, Chromium for the view's browser tests (and dbus-x11: debootstrap
# does not pick a provider of the session bus Chromium's libraries ask for).
PACKAGES=rabbitmq-server,nodejs,openssl,python3-pika,haproxy,chromium,dbus-x11,ca-certificates,procps
# Written last: a root without it (an interrupted create) is made again.
STAMP=.rabbit-tutorials-root

die() { echo "testing-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"

create() {
  local want="forky $PACKAGES npm $(npm --version)"
  if [ "$(cat "$ROOT/$STAMP" 2>/dev/null)" = "$want" ]; then echo "testing root: $ROOT (kept)"; return; fi
  command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
  # Debian 12's debootstrap has no forky script: sid's (the same rules) is used on any host (checked on Debian 12).
  local scripts=/usr/share/debootstrap/scripts
  local new="$ROOT.new"
  rm -rf "$new" && mkdir -p "$new" && chmod 755 "$new"
  echo "testing root: making $ROOT (Debian testing: $PACKAGES)"
  debootstrap --variant=minbase --include="$PACKAGES" forky "$new" "$MIRROR" "$scripts/sid" >"$new.log" 2>&1 ||
    { tail -20 "$new.log" >&2; die "debootstrap failed (log: $new.log)"; }
  # npm from the host (JavaScript, runs on Node 24): Debian testing's own npm package comes and goes broken.
  mkdir -p "$new/usr/local/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$new/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$new/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$new/usr/local/bin/npx"
  mkdir -p "$new/repo" "$new/var/cache/rabbit-tutorials/node_modules"
  echo "$want" >"$new/$STAMP"
  rm -rf "$ROOT" "$new.log" && mv "$new" "$ROOT"
  echo "testing root: made $ROOT"
}

# Runs "$@" in /repo inside the root, in new mount and PID namespaces.
enter() {
  [ -f "$ROOT/$STAMP" ] || die "no testing root at $ROOT: run infra/testing-root.sh create first"
  # An epmd of this command's own: the first free port from 4370 (another command in the root has its own).
  local epmd=${RT_EPMD_PORT:-}
  if [ -z "$epmd" ]; then
    for epmd in $(seq 4370 4399) ''; do (exec 3<>"/dev/tcp/127.0.0.1/$epmd") 2>/dev/null || break; done
    [ -n "$epmd" ] || die "no free port for the root's epmd in 4370-4399: set RT_EPMD_PORT to one"
  elif (exec 3<>"/dev/tcp/127.0.0.1/$epmd") 2>/dev/null; then
    die "port $epmd (RT_EPMD_PORT, for the root's epmd) is taken"
  fi
  cp /etc/hosts "$ROOT/etc/hosts"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  # The host's certificate authorities, for npm behind whatever the host's network needs.
  cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/host-ca-certificates.crt"
  mkdir -p "$REPO/node_modules"
  # unshare: PID 1 of the new namespace is the bash below; when it exits, the kernel ends every process
  # left in the namespace (detached broker nodes, epmd), and the mounts go with the namespace.
  unshare --mount --pid --fork --kill-child --propagation private \
    env ROOT="$ROOT" REPO="$REPO" EPMD_PORT="$epmd" bash -c '
      set -e
      mount -t proc proc "$ROOT/proc"
      mount --rbind /dev "$ROOT/dev"
      mount -t sysfs sysfs "$ROOT/sys"
      mount --bind "$REPO" "$ROOT/repo"
      mount --bind "$ROOT/var/cache/rabbit-tutorials/node_modules" "$ROOT/repo/node_modules"
      shift
      chroot "$ROOT" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false \
        NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt npm_config_cafile=/etc/ssl/certs/host-ca-certificates.crt \
        npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
        ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
        sh -c "cd /repo && exec \"\$@\"" sh "$@"
    ' bash -- "$@" <&0 &
  ns=$!
  # unshare ignores INT and TERM while it waits, and PID 1 of a namespace takes no signal it has no handler
  # for: on either, SIGKILL to unshare, which --kill-child passes to PID 1, which takes the rest with it.
  trap '{ kill -KILL $ns; wait $ns; } 2>/dev/null || true; exit 130' INT
  trap '{ kill -KILL $ns; wait $ns; } 2>/dev/null || true; exit 143' TERM HUP
  wait $ns
}

case "${1:-}" in
  create) create ;;
  run) shift; [ $# -gt 0 ] || die "usage: testing-root.sh run CMD [ARG...]"; enter "$@" ;;
  shell) enter bash ;;
  *) die "usage: testing-root.sh create | run CMD [ARG...] | shell" ;;
esac
