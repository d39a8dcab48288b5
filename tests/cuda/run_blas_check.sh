#!/usr/bin/env bash
# On the GPU machine (H100 / H200): the library-GEMM prefill of `pare compile --target cuda
# --cuda-gemm cublas` (runtime-stubs/cuda-llm/pare_cu_llm_blas.cu, issues 17 / 18).
#
#   tests/cuda/run_blas_check.sh [--arch ARCH] [--build DIR | --bin-dir DIR]
#
# ARCH: sm_90a by default (pare_cu_llm.cu then with -DPARE_CU_SM90A: pare's Hopper TMA / wgmma
# GEMM is what the table times). --build DIR only builds the test programs into DIR (no GPU
# needed: build them here, under flock /tmp/pare-build.lock on a shared machine, and carry DIR to
# the GPU machine); --bin-dir DIR runs those instead of building (saves the minutes of nvcc).
#
# 1. Builds tests/cuda/test_llm_blas.cu with pare_cu_llm_blas.cu three ways: the default (int4
#    prefill dequantizes the whole weight, then one GEMM), 24 MiB slices and 8 KiB slices
#    (-DPARE_LLM_BLAS_W4_SLICE_BYTES: slices of outputs whose dequantized weight stays in L2; 8
#    KiB makes the small test shapes cross slice boundaries), each linked with pare_cu_llm.cu and
#    pare_cu_llm_w4.cu, -lcublas -lcublasLt; nvcc -O3, warnings as errors, in parallel.
# 2. The default and 8 KiB builds: every pare_llm_blas_* entry point against pare's own kernel of
#    the same name on random data (fp32 within 1e-5, fp16 within 2e-2 of max |ref|; decode rows
#    and steps beyond the context's sizes pass through to pare's kernels bit for bit).
# 3. The default build, --bench: one Llama-2-7B layer's products (qkv 4096 -> 3 x 4096 with the
#    norm, rotary and cache write; o 4096 -> 4096 + residual; gate / up 4096 -> 2 x 11008 with the
#    norm and SwiGLU; down 11008 -> 4096 + residual) at 512 and 2048 rows, fp16: pare's kernels,
#    the blas path, the bare cublasGemmEx products they contain, and the ratios to those; then
#    int4 (group 128) products (q/k/v/o x 4, gate/up x 2, down) through the blas path against
#    fp16 cuBLAS and pare's int4 GEMM. The 24 MiB build: that int4 table again.
# Prints PASS / FAIL lines, the tables, and "blas check: N passed, M failed"; exits 1 on a
# failure or a step that does not finish (each run is under a timeout). Building takes about
# two minutes (pare_cu_llm.cu with the sm_90a GEMM is the long one); the runs under a minute.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH=sm_90a
BUILD=""
BIN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --arch) ARCH="$2"; shift 2 ;;
  --build) BUILD="$2"; shift 2 ;;
  --bin-dir) BIN="$(realpath "$2")"; shift 2 ;;
  *) echo "usage: $0 [--arch ARCH] [--build DIR | --bin-dir DIR]"; exit 2 ;;
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

VARIANTS=(default s24m s8k)
declare -A SLICE=([default]=0 [s24m]=25165824 [s8k]=8192)

# The three test programs into $1.
build_tests() {
  local out="$1" v
  # SASS for ARCH only (no PTX): a third of the size, so that --build's three programs can
  # travel to the GPU machine.
  local flags=(-std=c++17 -O3 -gencode "arch=compute_${ARCH#sm_},code=$ARCH"
    -Xcompiler -Wall,-Wextra -Werror all-warnings
    -I"$LLM" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c")
  [[ "$ARCH" == sm_90a ]] && flags+=(-DPARE_CU_SM90A)
  mkdir -p "$out"
  for f in pare_cu_llm pare_cu_llm_w4; do
    nvcc "${flags[@]}" -c "$LLM/$f.cu" -o "$WORK/$f.o" > "$WORK/$f.log" 2>&1 &
  done
  for v in "${VARIANTS[@]}"; do
    local d="-DPARE_LLM_BLAS_W4_SLICE_BYTES=${SLICE[$v]}"
    nvcc "${flags[@]}" "$d" -c "$LLM/pare_cu_llm_blas.cu" -o "$WORK/pare_cu_llm_blas_$v.o" \
      > "$WORK/blas_$v.log" 2>&1 &
    nvcc "${flags[@]}" "$d" -c "$ROOT/tests/cuda/test_llm_blas.cu" -o "$WORK/test_llm_blas_$v.o" \
      > "$WORK/test_$v.log" 2>&1 &
  done
  wait
  cat "$WORK"/*.log
  local rc=0
  for v in "${VARIANTS[@]}"; do
    nvcc -gencode "arch=compute_${ARCH#sm_},code=$ARCH" "$WORK/test_llm_blas_$v.o" "$WORK/pare_cu_llm_blas_$v.o" "$WORK/pare_cu_llm.o" \
      "$WORK/pare_cu_llm_w4.o" -lcublas -lcublasLt -o "$out/test_llm_blas_$v" || rc=1
  done
  return $rc
}

if [[ -n "$BUILD" ]]; then
  build_tests "$BUILD"
  result $? "build test_llm_blas x3 ($ARCH; int4 slices 0, 24 MiB, 8 KiB) into $BUILD"
  echo "blas check: $pass passed, $fail failed"
  [[ $fail == 0 ]]
  exit
fi

nvidia-smi -L || true
if [[ -z "$BIN" ]]; then
  BIN="$WORK/bin"
  build_tests "$BIN"
  result $? "build test_llm_blas x3 ($ARCH; int4 slices 0, 24 MiB, 8 KiB; -lcublas -lcublasLt)"
fi
for v in default s8k; do
  [[ -x "$BIN/test_llm_blas_$v" ]] || { result 1 "test_llm_blas_$v missing"; continue; }
  timeout 300 "$BIN/test_llm_blas_$v" > "$WORK/checks.log" 2>&1
  status=$?
  grep -E "^FAIL|passed|\.cu:[0-9]+:|no CUDA" "$WORK/checks.log"
  result $status "pare_llm_blas_* against pare's kernels (fp32, fp16, int4 slices ${SLICE[$v]} bytes)"
done
if [[ -x "$BIN/test_llm_blas_default" ]]; then
  timeout 300 "$BIN/test_llm_blas_default" --bench
  result $? "7B-layer timings: pare kernels, blas path, bare cuBLAS; int4 blas vs fp16 cuBLAS"
fi
if [[ -x "$BIN/test_llm_blas_s24m" ]]; then
  timeout 300 "$BIN/test_llm_blas_s24m" --bench w4
  result $? "int4 timings with 24 MiB slices"
fi
echo "blas check: $pass passed, $fail failed"
[[ $fail == 0 ]]
