#!/usr/bin/env bash
# On the GPU machine: every batched decoder that tests/cuda/prepare_batch_check.sh compiled into DIR,
# built with nvcc and checked by tests/cuda/batch_check.c: several sequences decoded one at a time
# in slot 0, then together in shuffled slots with prefill_slot / decode_batch (shrinking batches,
# rotated rows, a full MAX_BATCH step), every row within the directory's tolerance of its
# single-sequence logits and its argmax the single sequence's greedy token (near ties excepted), the
# API's errors refused with every slot unchanged; then a short timing (batch_check --bench 1,B).
# Directories with ids.npy / ref.npy also run tests/cuda/decoder_check.c (the slot-0 API against
# the C target's logits). First the kernels helper's slot tests when tests/cuda/run_slots_check.sh
# exists.
#
#   tests/cuda/run_batch_check.sh [--build-only] DIR [ARCH]      (ARCH: sm_90 by default)
#
# --build-only: builds every program and runs nothing (no GPU needed: checks the staging here).
#
# Prints one line per check and "batch check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_ONLY=0
if [[ "${1:-}" == --build-only ]]; then
  BUILD_ONLY=1
  shift
fi
DIR="$(realpath "$1")"
ARCH="${2:-sm_90}"
export PATH="/usr/local/cuda/bin:$PATH"
CC="${CC:-cc}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
((BUILD_ONLY)) || nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

if ((!BUILD_ONLY)) && [[ -f "$ROOT/tests/cuda/run_slots_check.sh" ]]; then
  bash "$ROOT/tests/cuda/run_slots_check.sh" "$ARCH"
  result $? "kernel slot tests (run_slots_check.sh)"
fi

# The kernels are the same files in every directory: built once, in parallel.
KERNELS="pare_cu_llm pare_cu_llm_attn pare_cu_llm_w4 pare_cu_llm_w8 pare_cu_llm_blas pare_cu_llm_blas_w8"
for k in $KERNELS; do
  nvcc -std=c++17 -O3 -arch="$ARCH" -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/cuda-llm/$k.cu" \
    -o "$WORK/$k.o" &
done
dirs=()
for d in "$DIR"/*/; do
  d="${d%/}"
  w="$(ls "$d"/*_weights.bin 2>/dev/null | head -1)"
  [[ -n "$w" ]] || continue
  dirs+=("$d")
  name="$(basename "$w" _weights.bin)"
  b="$WORK/$(basename "$d")"
  mkdir -p "$b"
  for f in "$d"/pare_cu_llm*.cu "$d"/pare_cu_llm*.cuh; do
    if ! cmp -s "$f" "$ROOT/runtime-stubs/cuda-llm/$(basename "$f")"; then
      echo "FAIL $(basename "$d"): its $(basename "$f") is not the repository's (prepare again)"
      fail=$((fail + 1))
    fi
  done
  (nvcc -std=c++17 -O3 -arch="$ARCH" -c "$d/$name.cu" -o "$b/$name.o" &&
    "$CC" -std=c99 -O2 -I"$d" -c "$ROOT/tests/cuda/batch_check.c" -o "$b/batch_check.o" &&
    "$CC" -std=c99 -O2 -I"$d" -c "$ROOT/tests/cuda/decoder_check.c" -o "$b/decoder_check.o") &
done
wait

for d in "${dirs[@]}"; do
  w="$(ls "$d"/*_weights.bin | head -1)"
  name="$(basename "$w" _weights.bin)"
  b="$WORK/$(basename "$d")"
  objs=("$b/$name.o" "$WORK/pare_cu_llm.o" "$WORK/pare_cu_llm_attn.o" "$WORK/pare_cu_llm_w4.o"
    "$WORK/pare_cu_llm_w8.o")
  libs=()
  if [[ -f "$d/pare_cu_llm_blas.cu" ]]; then
    objs+=("$WORK/pare_cu_llm_blas.o" "$WORK/pare_cu_llm_blas_w8.o")
    libs=(-lcublas -lcublasLt)
  fi
  if ! nvcc -arch="$ARCH" "$b/batch_check.o" "${objs[@]}" "${libs[@]}" -o "$b/batch_check" ||
    ! nvcc -arch="$ARCH" "$b/decoder_check.o" "${objs[@]}" "${libs[@]}" -o "$b/decoder_check"; then
    result 1 "$(basename "$d"): build"
    continue
  fi
  if ((BUILD_ONLY)); then
    result 0 "$(basename "$d"): built"
    continue
  fi
  tol="$(cat "$d/tol")"
  "$b/batch_check" -w "$w" --tol "$tol"
  result $? "$(basename "$d") batch_check (tol $tol)"
  if [[ -f "$d/ids.npy" && -f "$d/ref.npy" ]]; then
    (cd "$d" && "$b/decoder_check" -w "$w" --ids ids.npy --ref ref.npy --tol "$tol")
    result $? "$(basename "$d") decoder_check, slot 0 (tol $tol)"
  fi
  "$b/batch_check" -w "$w" --bench "1,$(cat "$d/batch")" --context 4 --tokens 16
  result $? "$(basename "$d") batch_check --bench"
done
echo "batch check: $pass passed, $fail failed"
[[ $fail == 0 ]]
