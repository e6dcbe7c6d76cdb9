#!/usr/bin/env bash
# Builds a buildbot-worker 3.7 image with the official buildbot/buildbot-worker image's contract,
# without any registry: a minimal Debian rootfs (debootstrap --variant=minbase) holding
# buildbot-worker and dumb-init, `docker import`ed, then ./Dockerfile on top (user buildbot,
# basedir /buildbot, ./buildbot.tac, dumb-init as PID 1 running twistd --nodaemon).
#
# Idempotent: the image carries a hash of this script, the Dockerfile and buildbot.tac in the label
# io.latentci.buildbot-worker.inputs; when it matches, nothing is built. Concurrent runs are
# serialised by a lock directory that the builder keeps fresh. Prints the image's tag on stdout.
#
# Needs root, debootstrap and the docker CLI (DOCKER_HOST etc. are honoured). Environment:
#   LATENTCI_BUILDBOT_WORKER_IMAGE  tag to build (default latentci-buildbot-worker:3.7)
#   LATENTCI_DEBIAN_MIRROR          Debian mirror (default: the host's apt source, else deb.debian.org)
# Exit codes: 0 built or already there, 3 a prerequisite is missing, 4 gave up waiting for the lock.
set -euo pipefail

SUITE=bookworm
PACKAGES=buildbot-worker,dumb-init
# Bump when the rootfs steps below change: the rootfs image is keyed by suite, packages and this.
ROOTFS_RECIPE=1
LABEL=io.latentci.buildbot-worker.inputs
TAG=${LATENTCI_BUILDBOT_WORKER_IMAGE:-latentci-buildbot-worker:3.7}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'buildbot-worker-image: %s\n' "$*" >&2; }
missing() { log "$*"; exit 3; }

command -v docker >/dev/null 2>&1 || missing "the docker CLI is not installed (apt-get install docker.io)"
rootfs_hash=$(printf '%s %s %s' "$SUITE" "$PACKAGES" "$ROOTFS_RECIPE" | sha256sum | cut -c1-64)
inputs_hash=$(cat "$HERE/build-image.sh" "$HERE/Dockerfile" "$HERE/buildbot.tac" | sha256sum | cut -c1-64)
ROOTFS_TAG=latentci-buildbot-worker-rootfs:${rootfs_hash:0:16}

label_of() { docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
up_to_date() { [ "$(label_of "$TAG")" = "$inputs_hash" ]; }

if up_to_date; then
  echo "$TAG"
  exit 0
fi

[ "$(id -u)" = 0 ] || missing "building $TAG needs root (debootstrap makes a Debian rootfs): run it with sudo, or build it once as root and reuse the image"
command -v debootstrap >/dev/null 2>&1 || missing "debootstrap is not installed (apt-get install debootstrap debian-archive-keyring)"
docker info >/dev/null 2>&1 || missing "the Docker engine is not reachable from the docker CLI (is it running? DOCKER_HOST=${DOCKER_HOST:-unset})"

mirror() {
  if [ -n "${LATENTCI_DEBIAN_MIRROR:-}" ]; then echo "$LATENTCI_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk -v suite="$SUITE" '
    /^URIs:/ { uris = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) { print uris; exit } }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk -v suite="$SUITE" '$1 == "deb" && $0 ~ " " suite " " { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# The lock: a directory (mkdir is atomic) whose mtime the builder refreshes; a lock left by a
# builder that died goes stale after a minute and is taken over.
LOCK=${TMPDIR:-/tmp}/latentci-buildbot-worker-image.lock
WORK=
REFRESHER=
cleanup() {
  [ -n "$REFRESHER" ] && kill "$REFRESHER" 2>/dev/null || true
  [ -n "$WORK" ] && rm -rf "$WORK"
  [ -n "$REFRESHER" ] && rm -rf "$LOCK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

waited=0
until mkdir "$LOCK" 2>/dev/null; do
  if up_to_date; then echo "$TAG"; exit 0; fi
  age=$(( $(date +%s) - $(stat -c %Y "$LOCK" 2>/dev/null || date +%s) ))
  if [ "$age" -gt 60 ]; then
    log "taking over a stale lock ($LOCK, untouched for ${age}s)"
    rm -rf "$LOCK"
    continue
  fi
  [ "$waited" -eq 0 ] && log "another build holds $LOCK; waiting"
  waited=$((waited + 1))
  [ "$waited" -lt 3600 ] || { log "gave up waiting for $LOCK after an hour"; exit 4; }
  sleep 1
done
( while sleep 10; do touch "$LOCK" 2>/dev/null || exit 0; done ) &
REFRESHER=$!

if up_to_date; then echo "$TAG"; exit 0; fi
started=$(date +%s)

if [ -z "$(docker image ls -q "$ROOTFS_TAG")" ]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/latentci-buildbot-worker.XXXXXX")
  source=$(mirror)
  cache=/var/cache/latentci/debootstrap
  mkdir -p "$cache"
  log "debootstrap --variant=minbase $SUITE from $source, then apt-get install $PACKAGES"
  debootstrap --variant=minbase --cache-dir="$cache" "$SUITE" "$WORK/rootfs" "$source" >"$WORK/build.log" 2>&1 || {
    tail -n 30 "$WORK/rootfs/debootstrap/debootstrap.log" "$WORK/build.log" >&2 || true
    log "debootstrap failed (last lines above)"
    exit 1
  }
  # Install inside the new rootfs with its own apt (dependency order, maintainer scripts), reusing
  # the downloaded packages between runs and starting no service.
  cp /etc/resolv.conf "$WORK/rootfs/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$WORK/rootfs/usr/sbin/policy-rc.d"
  chmod +x "$WORK/rootfs/usr/sbin/policy-rc.d"
  cp "$cache"/*.deb "$WORK/rootfs/var/cache/apt/archives/" 2>/dev/null || true
  {
    chroot "$WORK/rootfs" apt-get update -qq &&
      chroot "$WORK/rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-unsafe-io ${PACKAGES//,/ }
  } >>"$WORK/build.log" 2>&1 || {
    tail -n 30 "$WORK/build.log" >&2
    log "apt-get install $PACKAGES in the rootfs failed (last lines above)"
    exit 1
  }
  cp -n "$WORK/rootfs"/var/cache/apt/archives/*.deb "$cache/" 2>/dev/null || true
  rm -f "$WORK/rootfs/usr/sbin/policy-rc.d"
  : >"$WORK/rootfs/etc/resolv.conf"
  # Small image: no apt lists, caches, docs, man pages or translations.
  rm -rf "$WORK/rootfs"/var/lib/apt/lists/* "$WORK/rootfs"/var/cache/apt/* \
    "$WORK/rootfs"/usr/share/doc/* "$WORK/rootfs"/usr/share/man/* "$WORK/rootfs"/usr/share/info/* \
    "$WORK/rootfs"/usr/share/locale/* "$WORK/rootfs"/var/log/*.log "$WORK/rootfs"/var/log/apt/*
  log "rootfs ready after $(( $(date +%s) - started ))s; docker import $ROOTFS_TAG"
  tar --numeric-owner -C "$WORK/rootfs" -c . | docker import \
    --change "LABEL io.latentci.buildbot-worker.rootfs=$rootfs_hash" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "Debian $SUITE minbase with $PACKAGES (latentci)" - "$ROOTFS_TAG" >/dev/null
  rm -rf "$WORK"
  WORK=
fi

log "docker build $TAG"
context=$(mktemp -d "${TMPDIR:-/tmp}/latentci-buildbot-worker-context.XXXXXX")
WORK=$context
cp "$HERE/Dockerfile" "$HERE/buildbot.tac" "$context/"
previous=$(docker image ls -q "$TAG")
DOCKER_BUILDKIT=0 docker build --force-rm --build-arg "ROOTFS=$ROOTFS_TAG" --label "$LABEL=$inputs_hash" \
  --tag "$TAG" "$context" >"$context/build.log" 2>&1 || {
  tail -n 30 "$context/build.log" >&2
  log "docker build $TAG failed (last lines above)"
  exit 1
}
# The superseded build of this tag, unless a container still uses it.
[ -n "$previous" ] && [ "$previous" != "$(docker image ls -q "$TAG")" ] && docker rmi "$previous" >/dev/null 2>&1 || true
log "built $TAG in $(( $(date +%s) - started ))s"
echo "$TAG"
