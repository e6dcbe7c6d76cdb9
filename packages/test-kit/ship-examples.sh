#!/bin/sh
# The README's examples travel in the tarball as sources, in dist/examples: the guide's provider
# and the third-party example (its README, provider and conformance test; not its package.json, whose "exports" would mislead resolvers).
set -eu
rm -rf dist/examples
mkdir -p dist/examples/third-party-provider/src
cp src/guide/minimal-docker-provider.ts dist/examples/
cp ../../examples/third-party-provider/README.md dist/examples/third-party-provider/
cp ../../examples/third-party-provider/src/*.ts dist/examples/third-party-provider/src/
