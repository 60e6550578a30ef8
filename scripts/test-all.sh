#!/usr/bin/env bash
# The whole test run, as CI does it: unit tests (mocks), then the machine setup (Docker
# engine, base image, the project's image), then the live suite against real GlusterFS.
# Needs root for the setup. Fails, never skips, when the engine or the image cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every phase is bounded, so a stuck step fails the run instead of hanging it.
timeout 600 npm test
timeout 900 bash scripts/setup.sh
timeout 1800 npm run test:live
