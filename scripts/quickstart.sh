#!/usr/bin/env bash
# The README's first quick-start command: installs the toolchain and dependencies, makes a Docker
# engine available (scripts/docker-engine.sh), builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# latentci supports Node >= 22.19; on an older Node (Debian's machines still ship 20) use Node 24
# from the npm registry for everything below (scripts/node-runtimes.sh caches it).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'; then
  node_bin=$(bash scripts/node-runtimes.sh bin 24)
  echo "quickstart: Node $(node --version) is older than the supported 22.19; using Node 24 from $node_bin"
  export PATH="$node_bin:$PATH"
fi
if [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2 --no-audit --no-fund --loglevel=error
fi
pnpm install --frozen-lockfile
# The demo falls back to the in-memory provider when no engine can be had, so this may fail.
bash scripts/test-prerequisites.sh || echo "quickstart: continuing without a Docker engine (the demo falls back to the in-memory provider)"
pnpm build --output-logs=errors-only
pnpm demo
