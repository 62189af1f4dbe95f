#!/usr/bin/env bash
# Builds everything the compose files need, from Debian's packages and this
# repository only (no registry):
#   floatlb-base       Debian 13 root filesystem (mmdebstrap): Debian's own
#                      nodejs 20.19, which the .deb depends on, and the tools
#   floatlb-peer-base  Debian 12 root filesystem: keepalived 2.2.7 and
#                      HAProxy 2.6, the peers the project compares against
#   dist/docker/floatlb.deb  the Debian package (npm run package)
# The compose files' `build:` (lab/docker/Dockerfile) installs that package
# on floatlb-base.
# Root filesystems are cached as tarballs in $FLOATLB_LAB_CACHE (default
# /var/cache/floatlb-lab), keyed on what goes into them; images are tagged
# with that key, so a second run only checks and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCKER=${DOCKER:-/usr/bin/docker}
CACHE=${FLOATLB_LAB_CACHE:-/var/cache/floatlb-lab}
MIRROR=${FLOATLB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf 'images: %s\n' "$*" >&2; }

# name suite packages
BASES=(
  "floatlb-base trixie nodejs,iproute2,nftables,ipvsadm,curl,procps,iputils-ping"
  "floatlb-peer-base bookworm keepalived,haproxy,iproute2,ipvsadm,curl,procps,iputils-ping"
)

mkdir -p "$CACHE"
key_of() {
  printf '%s\n' "$*" "$MIRROR" "$(dpkg-query -W -f='${Version}' mmdebstrap)" | sha256sum | cut -c1-16
}

# The root filesystem tarball for one base, built when it is not cached.
rootfs() {
  local name=$1 suite=$2 pkgs=$3 key tar
  key=$(key_of "$name" "$suite" "$pkgs")
  tar="$CACHE/$name-$key.tar"
  if [ -f "$tar" ]; then return 0; fi
  say "building $name ($suite: $pkgs) with mmdebstrap"
  rm -f "$tar.partial"
  mmdebstrap --quiet --variant=minbase --include="$pkgs" --format=tar \
    "$suite" "$tar.partial" "$MIRROR" || {
    say "mmdebstrap failed for $name"
    return 1
  }
  mv "$tar.partial" "$tar"
}

# Build the missing tarballs side by side (most of the time is downloads).
pids=()
for b in "${BASES[@]}"; do
  read -r name suite pkgs <<<"$b"
  key=$(key_of "$name" "$suite" "$pkgs")
  if ! "$DOCKER" image inspect "$name:$key" >/dev/null 2>&1; then
    rootfs "$name" "$suite" "$pkgs" &
    pids+=($!)
  fi
done
for p in "${pids[@]}"; do wait "$p"; done

for b in "${BASES[@]}"; do
  read -r name suite pkgs <<<"$b"
  key=$(key_of "$name" "$suite" "$pkgs")
  if ! "$DOCKER" image inspect "$name:$key" >/dev/null 2>&1; then
    say "importing $name:$key"
    "$DOCKER" import "$CACHE/$name-$key.tar" "$name:$key" >/dev/null
  fi
  "$DOCKER" tag "$name:$key" "$name:latest"
done

# The Debian package, rebuilt when the program or the packaging changed.
deb_key=$(cat dist/src/cli/main.js package.json packaging/*.* packaging/debian/* README.md | sha256sum | cut -c1-16)
mkdir -p dist/docker
if [ "$(cat dist/docker/floatlb.deb.key 2>/dev/null)" != "$deb_key" ] || [ ! -f dist/docker/floatlb.deb ]; then
  say "building the Debian package"
  deb=$(node packaging/build-deb.mjs)
  cp "$deb" dist/docker/floatlb.deb
  echo "$deb_key" >dist/docker/floatlb.deb.key
fi
say "ready: floatlb-base, floatlb-peer-base, dist/docker/floatlb.deb (docker-compose up --build does the rest)"
