#!/usr/bin/env bash
# The real buildbot-worker 3.7 (Debian) that @latentci/worker-protocol's tests run as a host
# process (`buildbot-worker create-worker`, `twistd3`), and the real Buildbot master (`buildbot`)
# its PB benchmark compares with.
set -euo pipefail
if command -v buildbot-worker >/dev/null 2>&1 && command -v twistd3 >/dev/null 2>&1 && command -v buildbot >/dev/null 2>&1; then
  echo "buildbot-worker: $(buildbot-worker --version 2>/dev/null | head -1 || echo present); buildbot master present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install the Debian/Ubuntu packages 'buildbot-worker' and 'buildbot' (3.7): the worker-protocol tests and bench run them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends buildbot-worker buildbot python3-twisted >/dev/null
command -v buildbot-worker >/dev/null && command -v twistd3 >/dev/null && command -v buildbot >/dev/null
