#!/usr/bin/env bash
# Everything the test suite needs beyond node_modules: a Docker engine (scripts/docker-engine.sh)
# and Buildbot itself (Debian's python3-buildbot), which the renderable tests use as an oracle:
# random Interpolate formats must render exactly as Buildbot renders them. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/python3 -c 'import buildbot.process.properties' >/dev/null 2>&1; then
  if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-prerequisites: installing python3-buildbot (the renderables' oracle)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-buildbot >/dev/null
  else
    echo "test-prerequisites: Buildbot is not importable by /usr/bin/python3; install python3-buildbot (Debian/Ubuntu) or set LATENTCI_ORACLE_PYTHON to a Python with buildbot installed" >&2
    exit 1
  fi
fi

bash scripts/docker-engine.sh start

# One script per further need (a real buildbot-worker, a swarm, Podman…), run in name order.
for prerequisite in scripts/prerequisites.d/*.sh; do
  [ -e "$prerequisite" ] || continue
  bash "$prerequisite"
done
