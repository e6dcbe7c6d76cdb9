#!/usr/bin/env bash
# The real buildbot-worker image (latentci-buildbot-worker:3.7, built without a registry by
# scripts/buildbot-worker-image.sh) and a real Buildbot master (Debian's buildbot 3.7) for the
# image's contract tests, the interop test with a real master and the real-worker tests.
# Idempotent: installs only what is missing; the image build is cached by a hash of its inputs.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
command -v dumb-init >/dev/null 2>&1 || missing+=(dumb-init)
[ -x /usr/bin/buildbot ] && [ -x /usr/bin/twistd3 ] || missing+=(buildbot)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "buildbot-worker-image: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "buildbot-worker-image: missing ${missing[*]}; install them (Debian/Ubuntu: apt-get install ${missing[*]}) and run this again as root" >&2
    exit 1
  fi
fi

started=$(date +%s)
bash scripts/buildbot-worker-image.sh >/dev/null
echo "buildbot-worker-image: latentci-buildbot-worker:3.7 ready in $(( $(date +%s) - started ))s" >&2
