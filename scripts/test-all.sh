#!/usr/bin/env bash
# The whole test run, as CI does it: the machine setup (Docker engine, the tools the tests
# drive, base image, the project's image, the Pulumi CLI), then the unit tests (mocks, and the
# generated scripts run against stand-ins), a consumer project's tests against the packed
# package, then the live suite through the real Pulumi engine against real GlusterFS.
# Needs root for the setup. Fails, never skips, when the engine or the image cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every phase is bounded, so a stuck step fails the run instead of hanging it.
timeout 900 bash scripts/setup.sh
timeout 600 npm test
# A consumer project's own mock tests, against the packed package.
timeout 600 npm run test:consumer
timeout 2400 npm run test:live
