#!/usr/bin/env bash
# Packs this project as npm would publish it, installs the package into a copy of
# examples/consumer-tests (a separate project, as a consumer has), and runs that project's
# own unit tests: what a consumer installs, not the source tree, is what is tested.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
npm run build >/dev/null
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
cp -r "$here/examples/consumer-tests" "$work/consumer"
cd "$work/consumer"
npm install --no-audit --no-fund --silent
npm install --no-audit --no-fund --silent --no-save "$work/$tarball"
npm test
