#!/usr/bin/env bash
# On the GPU machine: the KV-cache slots of the CUDA decoder kernels (batched decode, `pare
# compile --max-batch N`; contract in runtime-stubs/cuda-llm/pare_cu_llm.cuh).
#
#   tests/cuda/run_slots_check.sh [ARCH] [--no-blas] [--build DIR | --bin-dir DIR]
#
# ARCH: sm_90 by default; sm_90a builds pare_cu_llm.cu with -DPARE_CU_SM90A (the Hopper wgmma
# GEMM then serves qkv's f16 prefill rows). Builds tests/cuda/test_llm_slots.cu with
# pare_cu_llm.cu, pare_cu_llm_attn.cu, pare_cu_llm_w4.cu and, unless --no-blas, pare_cu_llm_blas.cu
# (-DPARE_SLOTS_BLAS, -lcublas -lcublasLt: pare_llm_blas_qkv is checked too); nvcc -O3, warnings
# as errors. Then runs it: kv_write, qkv, qkv_w4 (and blas_qkv) write each row into its own slot
# and touch nothing else; attention and decode_attention with slots equal the kernels called row
# by row on each slot's caches (bit for bit where the path is the same) and a float64 reference;
# f32 and f16, rows 1, 3, 5, 32, 64 (see the test's header comment).
# --build DIR only builds the program into DIR (no GPU needed); --bin-dir DIR runs the one built
# there instead of building.
# Prints PASS / FAIL lines and "slots check: N passed, M failed"; exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH=sm_90
BLAS=1
BUILD=""
BIN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --no-blas) BLAS=0; shift ;;
  --build) BUILD="$2"; shift 2 ;;
  --bin-dir) BIN="$(realpath "$2")"; shift 2 ;;
  sm_*) ARCH="$1"; shift ;;
  *) echo "usage: $0 [ARCH] [--no-blas] [--build DIR | --bin-dir DIR]"; exit 2 ;;
  esac
done
export PATH="/usr/local/cuda/bin:$PATH"
LLM="$ROOT/runtime-stubs/cuda-llm"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

# The test program into $1/test_llm_slots.
build_test() {
  local out="$1" f
  local flags=(-std=c++17 -O3 -arch="$ARCH" -Xcompiler -Wall,-Wextra -Werror all-warnings
    -I"$LLM" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c")
  [[ "$ARCH" == sm_90a ]] && flags+=(-DPARE_CU_SM90A)
  local srcs=(pare_cu_llm pare_cu_llm_attn pare_cu_llm_w4) libs=()
  if [[ $BLAS == 1 ]]; then
    srcs+=(pare_cu_llm_blas)
    flags+=(-DPARE_SLOTS_BLAS)
    libs=(-lcublas -lcublasLt)
  fi
  mkdir -p "$out"
  for f in "${srcs[@]}"; do
    nvcc "${flags[@]}" -c "$LLM/$f.cu" -o "$WORK/$f.o" > "$WORK/$f.log" 2>&1 &
  done
  nvcc "${flags[@]}" -c "$ROOT/tests/cuda/test_llm_slots.cu" -o "$WORK/test_llm_slots.o" \
    > "$WORK/test.log" 2>&1 &
  wait
  cat "$WORK"/*.log
  local objs=("$WORK/test_llm_slots.o")
  for f in "${srcs[@]}"; do objs+=("$WORK/$f.o"); done
  nvcc -arch="$ARCH" "${objs[@]}" ${libs[@]+"${libs[@]}"} -o "$out/test_llm_slots"
}

what="$ARCH$([[ $BLAS == 1 ]] && echo ", with pare_llm_blas_qkv" || echo ", without blas")"
if [[ -n "$BUILD" ]]; then
  build_test "$BUILD"
  result $? "build test_llm_slots ($what) into $BUILD"
  echo "slots check: $pass passed, $fail failed"
  [[ $fail == 0 ]]
  exit
fi

nvidia-smi -L || true
if [[ -z "$BIN" ]]; then
  BIN="$WORK/bin"
  build_test "$BIN"
  result $? "build test_llm_slots ($what)"
fi
if [[ -x "$BIN/test_llm_slots" ]]; then
  timeout 600 "$BIN/test_llm_slots" > "$WORK/slots.log" 2>&1
  status=$?
  grep -E "^FAIL|passed|\.cu:[0-9]+:|no CUDA" "$WORK/slots.log"
  result $status "KV-cache slots: kv_write, qkv, qkv_w4$([[ $BLAS == 1 ]] && echo ", blas_qkv"), attention, decode_attention (f32, f16)"
else
  result 1 "test_llm_slots missing"
fi
echo "slots check: $pass passed, $fail failed"
[[ $fail == 0 ]]
