#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: Debian packages, npm
# packages, the TypeScript build and the lab VM's kernel. Re-running it only
# checks and prints what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

# Debian packages the project, its tests, its lab and its benchmarks use.
DEBS=(
  iproute2 nftables kmod cpio busybox-static qemu-system-x86 qemu-utils
  keepalived ipvsadm haproxy nginx-light libnginx-mod-stream
  wrk iperf3 curl socat iputils-ping procps psmisc util-linux shellcheck docker-compose openssl
  docker.io mmdebstrap chromium
)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]}; run this as root to install them" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The packaged services are peers for tests, never system daemons here:
  # keep their postinst from starting them (dockerd would also rewrite the
  # host firewall), then make sure none runs.
  norc=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && norc=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$norc" ] || rm -f /usr/sbin/policy-rc.d
  # The lab starts its own dockerd (lab/docker/engine.sh) without firewall
  # rules; the packaged one would rewrite them at boot.
  if [[ " ${missing[*]} " == *" docker.io "* ]]; then
    systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
  fi
  for svc in keepalived haproxy nginx; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
    pkill -x "$svc" 2>/dev/null || true
  done
else
  say "Debian packages: all ${#DEBS[@]} present"
fi

# npm packages: reinstall only when the lock file changed.
stamp=node_modules/.floatlb-lock-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages (npm install, from package-lock.json)"
  # Not `npm ci`: npm 11 rejects a lock file that omits other platforms'
  # optional packages (rollup's), although installing from it works.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
else
  say "npm packages: up to date"
fi

say "building (tsc)"
npm run --silent build

# The lab VM's kernel and initramfs, cached outside the repository.
node dist/lab/vm/cli.js prepare
