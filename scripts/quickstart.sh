#!/usr/bin/env bash
# The README's first quick-start command: installs the toolchain and dependencies, makes a Docker
# engine available (scripts/docker-engine.sh), builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2 --no-audit --no-fund --loglevel=error
fi
pnpm install --frozen-lockfile
# The demo falls back to the in-memory provider when no engine can be had, so this may fail.
bash scripts/test-prerequisites.sh || echo "quickstart: continuing without a Docker engine (the demo falls back to the in-memory provider)"
pnpm build --output-logs=errors-only
pnpm demo
