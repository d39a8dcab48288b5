#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: lit, Catch2, kernel tests,
# ONNX backend conformance, real models, the host example. .ci/run calls it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
echo "==> ctest"
ctest --test-dir build --output-on-failure "$@"
