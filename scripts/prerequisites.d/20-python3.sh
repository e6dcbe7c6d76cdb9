#!/usr/bin/env bash
# python3: the oracle of docker's splitCommand test (Python's shlex.split, as docker-py uses it).
set -euo pipefail
command -v python3 >/dev/null 2>&1 && exit 0
if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3 >/dev/null
else
  echo "prerequisites: python3 is missing; install it (the oracle of the splitCommand test)" >&2
  exit 1
fi
