#!/usr/bin/env bash
# Builds the buildbot-worker 3.7 test image (latentci-buildbot-worker:3.7) without any registry.
# The logic ships in @latentci/test-kit (ensureBuildbotWorkerImage() runs the same script); see
# packages/test-kit/buildbot-worker/build-image.sh for what it does and its environment.
exec bash "$(dirname "$0")/../packages/test-kit/buildbot-worker/build-image.sh" "$@"
