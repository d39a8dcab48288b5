#!/usr/bin/env bash
# Configures and builds the importer fuzz target (pare-fuzz-import) with clang-22 in its own build
# directory (-DPARE_FUZZ=ON: sanitizer and coverage flags, only the importer and pass libraries).
# The build runs under flock /tmp/pare-build.lock, so that it never runs beside another build.
#
# Usage: tests/fuzz/build.sh [--build-dir DIR] [--opt -O0|-O1] [-h|--help]
#   --build-dir DIR  build directory (default: build-fuzz at the repository root)
#   --opt LEVEL      optimisation level (default -O1; the CI test uses -O0: half the build time)
# Environment: JOBS (ninja parallelism, default 2). Prints the path of the target on success.
# Exit codes: 0 built, 1 failed, 77 clang-22 / libclang-rt-22-dev missing (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build-fuzz"
OPT="-O1"
JOBS="${JOBS:-2}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD="$2"; shift 2 ;;
    --opt) OPT="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build.sh: error: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
CXX="$(command -v clang++-22 || true)"
CC="$(command -v clang-22 || true)"
RT=/usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.fuzzer-x86_64.a
if [[ -z "$CXX" || -z "$CC" || ! -f "$RT" ]]; then
  echo "build.sh: clang-22 and libclang-rt-22-dev are not installed (scripts/setup.sh installs them)" >&2
  exit 77
fi
exec 9>/tmp/pare-build.lock
flock 9
if [[ ! -f "$BUILD/build.ninja" ]] || ! grep -q "PARE_FUZZ_OPT:STRING=$OPT\$" "$BUILD/CMakeCache.txt"; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" -DPARE_FUZZ=ON -DPARE_FUZZ_OPT="$OPT" \
    -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir >/dev/null
fi
ninja -C "$BUILD" -j"$JOBS" pare-fuzz-import >&2
echo "$BUILD/tests/fuzz/pare-fuzz-import"
