#!/usr/bin/env bash
# @latentci/swarm's tests build private swarms with scripts/swarm-cluster.sh (the test files start
# and stop them): they need dockerd, ip (iproute2), iptables, and nsenter/unshare/flock (util-linux).
# This installs what is missing and checks that network namespaces can be made. Idempotent.
set -euo pipefail

say() { printf 'prerequisites/swarm: %s\n' "$*" >&2; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
for tool in nsenter unshare flock; do command -v "$tool" >/dev/null 2>&1 || missing+=(util-linux); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "install $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')(Debian/Ubuntu, as root) for the swarm tests"
    exit 1
  fi
  say "installing $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

# The swarm nodes live in network namespaces: fail here, with the reason, if this machine cannot.
probe=latentci-swarm-probe-$$
if ! ip netns add "$probe" 2>/tmp/latentci-swarm-netns.err; then
  say "cannot create a network namespace ($(cat /tmp/latentci-swarm-netns.err)): the swarm tests need root and CAP_SYS_ADMIN"
  rm -f /tmp/latentci-swarm-netns.err
  exit 1
fi
ip netns del "$probe"
rm -f /tmp/latentci-swarm-netns.err
say "ready (dockerd $(dockerd --version | awk '{print $3}' | tr -d ,), network namespaces work)"
