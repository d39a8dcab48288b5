#!/usr/bin/env bash
# On the GPU machine: checks one CUDA decoder generated THERE (pare compile --target cuda
# --max-context N --emit-runner -o GEN_DIR; its <name>.mk may have been run) against a
# reference set of tests/cuda/prepare_decoder_check.sh (REF_DIR: ids.npy, ref.npy) with
# tests/cuda/decoder_check.c: prefill, decode token by token, prefill then decode and prefills
# in pieces within TOL of max|ref| (issue 16: 1e-4 fp32, 2e-2 fp16), argmax agreement, the
# API's error paths, and a short timing (prefill of the ids, 32 greedy decode steps).
#
#   tests/cuda/check_decoder_dir.sh GEN_DIR REF_DIR TOL [ARCH]      (ARCH: sm_90)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GEN="$(realpath "$1")"
REF="$(realpath "$2")"
TOL="$3"
ARCH="${4:-sm_90}"
export PATH="/usr/local/cuda/bin:$PATH"
CC="${CC:-cc}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
w="$(ls "$GEN"/*_weights.bin 2>/dev/null | head -1)"
[[ -n "$w" && -f "$GEN/pare_model.h" ]] || { echo "FAIL $GEN: no decoder with --emit-runner there"; exit 1; }
name="$(basename "$w" _weights.bin)"
# The objects of <name>.mk when it has run, else built here.
for o in "$name" pare_cu_llm pare_cu_llm_w4; do
  if [[ -f "$GEN/$o.o" && "$GEN/$o.o" -nt "$GEN/$o.cu" ]]; then
    cp "$GEN/$o.o" "$WORK/$o.o"
  else
    nvcc -std=c++17 -O3 -arch="$ARCH" -c "$GEN/$o.cu" -o "$WORK/$o.o" || { echo "FAIL $GEN: nvcc $o.cu"; exit 1; }
  fi
done
"$CC" -std=c99 -O2 -I"$GEN" -c "$ROOT/tests/cuda/decoder_check.c" -o "$WORK/decoder_check.o" &&
  nvcc -arch="$ARCH" "$WORK/decoder_check.o" "$WORK/$name.o" "$WORK/pare_cu_llm.o" "$WORK/pare_cu_llm_w4.o" -o "$WORK/decoder_check" ||
  { echo "FAIL $GEN: building decoder_check"; exit 1; }
"$WORK/decoder_check" -w "$w" --ids "$REF/ids.npy" --ref "$REF/ref.npy" --tol "$TOL" --bench 32
status=$?
echo "$([[ $status == 0 ]] && echo PASS || echo FAIL) $GEN vs $REF (tol $TOL)"
exit $status
