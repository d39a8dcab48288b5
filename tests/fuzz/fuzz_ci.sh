#!/usr/bin/env bash
# CI test `fuzz-import`: builds the importer fuzz target (-O0, in BUILD_DIR) and runs it for a
# bounded time on the seed corpus (tests/fuzz/corpus and examples/models). Fails on any finding:
# a crash, a sanitizer report, an uncaught exception, a leak, a timeout (10 s per input) or an
# out-of-memory (2 GiB). Skips (exit 77) when clang-22 is not installed.
#
# Usage: tests/fuzz/fuzz_ci.sh BUILD_DIR [SECONDS]   (default 60 s of fuzzing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -lt 1 ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  [[ $# -ge 1 ]]; exit $?
fi
BUILD="$1"
SECS="${2:-60}"
t0=$(date +%s)
rc=0
FUZZER="$("$ROOT/tests/fuzz/build.sh" --build-dir "$BUILD" --opt -O0)" || rc=$?
if [[ $rc -eq 77 ]]; then echo "SKIP: clang-22 is not installed"; exit 77; fi
[[ $rc -eq 0 ]] || { echo "FAIL: the fuzz target does not build"; exit 1; }
t1=$(date +%s)
WORK="$(mktemp -d /tmp/pare-fuzz-ci.XXXXXX)"
ART="$BUILD/fuzz-artifacts"
mkdir -p "$ART"
echo "fuzz-import: built in $((t1 - t0)) s; fuzzing for $SECS s (artifacts: $ART)"
set +e
( cd "$WORK" && TMPDIR="$WORK" "$FUZZER" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$ART/" "$WORK" "$ROOT/tests/fuzz/corpus" \
    "$ROOT/examples/models" ) > "$BUILD/fuzz-ci.log" 2>&1
frc=$?
set -e
t2=$(date +%s)
grep -E "^(#[0-9]+ +DONE|stat::|INFO: seed corpus|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" \
  "$BUILD/fuzz-ci.log" | head -40 || true
rm -rf "$WORK"
echo "fuzz-import: build $((t1 - t0)) s, fuzzing $((t2 - t1)) s, total $((t2 - t0)) s"
if [[ $frc -ne 0 ]]; then
  echo "FAIL: the fuzzer found a problem (exit $frc); log: $BUILD/fuzz-ci.log"
  tail -60 "$BUILD/fuzz-ci.log"
  echo "reproduce: $FUZZER <artifact above>"
  exit 1
fi
echo "PASS: no crash, leak, timeout or out-of-memory"
