#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: lit, Catch2, kernel tests,
# ONNX backend conformance, real models, the host example, the LLM decoders.
# .ci/run calls it. Two tests at a time (CTEST_JOBS, default 2: CI's cores;
# the whole suite takes about 26 minutes so on 2 cores, 50 one at a time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
echo "==> ctest"
ctest --test-dir build --output-on-failure -j "${CTEST_JOBS:-2}" "$@"
