#!/usr/bin/env bash
# On the GPU machine: the decoder kernel tests (tests/cuda/test_llm_kernels.cu and
# test_llm_attn.cu), then every decoder that tests/cuda/prepare_decoder_check.sh compiled into DIR, each built with nvcc
# and checked by tests/cuda/decoder_check.c against its reference logits (prefill, decode
# token by token, prefill then decode, prefills in pieces; the API's error paths) with the
# directory's tolerance, and timed (prefill of its ids, 100 greedy decode steps).
#
#   tests/cuda/run_decoder_check.sh [--no-pdl] DIR [ARCH]      (ARCH: sm_90 by default)
#
# Built for sm_90 and run on an H100 / H200, the decode kernels launch with programmatic
# dependent launch (issue 17; the kernel tests compare it with PDL off bit for bit), so the
# decoders are checked and timed with it. --no-pdl builds the kernels with -DPARE_CU_NO_PDL
# instead: the same checks without it, and the bench's ms/token to compare.
#
# Prints one line per check and "decoder check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KFLAGS=()
if [[ "${1:-}" == --no-pdl ]]; then
  KFLAGS=(-DPARE_CU_NO_PDL)
  shift
fi
DIR="$(realpath "$1")"
ARCH="${2:-sm_90}"
export PATH="/usr/local/cuda/bin:$PATH"
CC="${CC:-cc}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

# Everything is built first, in parallel; the kernels are the same file in every directory.
nvcc -std=c++17 -O3 -arch="$ARCH" "${KFLAGS[@]}" -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_llm_kernels.cu" "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm.cu" \
  -o "$WORK/test_llm_kernels" &
nvcc -std=c++17 -O3 -arch="$ARCH" "${KFLAGS[@]}" -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/c" \
  "$ROOT/tests/cuda/test_llm_attn.cu" "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_attn.cu" \
  "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm.cu" -o "$WORK/test_llm_attn" &
nvcc -std=c++17 -O3 -arch="$ARCH" "${KFLAGS[@]}" -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm.cu" \
  -o "$WORK/pare_cu_llm.o" &
nvcc -std=c++17 -O3 -arch="$ARCH" "${KFLAGS[@]}" -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w4.cu" \
  -o "$WORK/pare_cu_llm_w4.o" &
nvcc -std=c++17 -O3 -arch="$ARCH" "${KFLAGS[@]}" -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_attn.cu" \
  -o "$WORK/pare_cu_llm_attn.o" &
dirs=()
for d in "$DIR"/*/; do
  d="${d%/}"
  w="$(ls "$d"/*_weights.bin 2>/dev/null | head -1)"
  [[ -n "$w" ]] || continue
  dirs+=("$d")
  name="$(basename "$w" _weights.bin)"
  b="$WORK/$(basename "$d")"
  mkdir -p "$b"
  for f in pare_cu_llm.cu pare_cu_llm_attn.cu pare_cu_llm_w4.cu; do
    if ! cmp -s "$d/$f" "$ROOT/runtime-stubs/cuda-llm/$f"; then
      echo "FAIL $(basename "$d"): its $f is not the repository's (prepare again)"
      fail=$((fail + 1))
    fi
  done
  (nvcc -std=c++17 -O3 -arch="$ARCH" -c "$d/$name.cu" -o "$b/$name.o" &&
    "$CC" -std=c99 -O2 -I"$d" -c "$ROOT/tests/cuda/decoder_check.c" -o "$b/decoder_check.o") &
done
wait

"$WORK/test_llm_kernels"
result $? "kernel tests"
"$WORK/test_llm_attn"
result $? "attention and sampling kernel tests"
for d in "${dirs[@]}"; do
  w="$(ls "$d"/*_weights.bin | head -1)"
  name="$(basename "$w" _weights.bin)"
  b="$WORK/$(basename "$d")"
  if ! nvcc -arch="$ARCH" "$b/decoder_check.o" "$b/$name.o" "$WORK/pare_cu_llm.o" "$WORK/pare_cu_llm_attn.o" \
    "$WORK/pare_cu_llm_w4.o" -o "$b/decoder_check"; then
    result 1 "$(basename "$d"): build"
    continue
  fi
  # Another decoder's weights must be refused: another directory's file with other
  # bytes (a --cuda-fusion off twin has the same weights).
  other=""
  for o in "$DIR"/*/*_weights.bin; do
    cmp -s "$o" "$w" || { other="$o"; break; }
  done
  (cd "$d" && "$b/decoder_check" -w "$w" --ids ids.npy --ref ref.npy --tol "$(cat tol)" \
    --foreign "$other" --bench 100)
  result $? "$(basename "$d") (tol $(cat "$d/tol"))"
done
echo "decoder check: $pass passed, $fail failed"
[[ $fail == 0 ]]
