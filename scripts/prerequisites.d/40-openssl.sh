#!/usr/bin/env bash
# The Kubernetes provider's TLS tests (client certificates, in-cluster config) make a throwaway
# CA and certificates with the openssl command line. Idempotent.
set -euo pipefail
command -v openssl >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openssl >/dev/null
else
  echo "prerequisites: install openssl (the Kubernetes TLS tests create certificates with it)" >&2
  exit 1
fi
