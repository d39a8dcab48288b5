#!/usr/bin/env bash
# On the GPU machine: the library-GEMM prefill of `pare compile --target cuda --cuda-gemm cublas`
# (runtime-stubs/cuda-llm/pare_cu_llm_blas.cu, issues 17 / 18).
#  1. tests/cuda/test_llm_blas.cu: every pare_llm_blas_* entry point against pare's own kernel of
#     the same name on random data (fp32 within 1e-5, fp16 within 2e-2 of max |ref|; decode rows
#     pass through bit for bit);
#  2. test_llm_blas --bench: one Llama-2-7B layer's products at 512 and 2048 rows, fp16: pare's
#     kernels (the sm_90a TMA / wgmma GEMM), the blas path, and the bare cublasGemmEx products,
#     with the ratios to cuBLAS; then int4 (group 128) through the blas path against fp16 cuBLAS
#     and pare's int4 GEMM;
#  3. the same int4 table with pare_cu_llm_blas.cu built -DPARE_LLM_BLAS_W4_SLICE_BYTES=24 MiB
#     (dequantize and multiply slices of outputs that stay in L2), and the checks of 1 with 8 KiB
#     slices (so that the small test shapes cross slice boundaries).
#
#   tests/cuda/run_blas_check.sh [ARCH]      (ARCH: sm_90a by default, with -DPARE_CU_SM90A)
#
# Prints PASS / FAIL lines, the tables, and "blas check: N passed, M failed"; exits 1 on a
# failure. About two minutes of building (nvcc runs in parallel; pare_cu_llm.cu with the sm_90a
# GEMM is the long one) and under a minute of runs.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARCH="${1:-sm_90a}"
export PATH="/usr/local/cuda/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L || true
pass=0
fail=0
result() { # status name
  if [[ "$1" == 0 ]]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}

FLAGS="-std=c++17 -O3 -arch=$ARCH"
[[ "$ARCH" == sm_90a ]] && FLAGS="$FLAGS -DPARE_CU_SM90A"
INC="-I$ROOT/runtime-stubs/cuda-llm -I$ROOT/runtime-stubs/cuda -I$ROOT/runtime-stubs/c"
STRICT="-Xcompiler -Wall,-Wextra -Werror all-warnings"
for f in pare_cu_llm pare_cu_llm_w4; do
  nvcc $FLAGS $STRICT $INC -c "$ROOT/runtime-stubs/cuda-llm/$f.cu" -o "$WORK/$f.o" > "$WORK/$f.log" 2>&1 &
done
# The blas variants: int4 through the whole weight (the default), 24 MiB slices, 8 KiB slices.
declare -A SLICE=([default]=0 [s24m]=25165824 [s8k]=8192)
for v in default s24m s8k; do
  D="-DPARE_LLM_BLAS_W4_SLICE_BYTES=${SLICE[$v]}"
  nvcc $FLAGS $STRICT $INC $D -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_blas.cu" \
    -o "$WORK/pare_cu_llm_blas_$v.o" > "$WORK/blas_$v.log" 2>&1 &
  nvcc $FLAGS $STRICT $INC $D -c "$ROOT/tests/cuda/test_llm_blas.cu" -o "$WORK/test_llm_blas_$v.o" \
    > "$WORK/test_llm_blas_$v.log" 2>&1 &
done
wait
cat "$WORK"/*.log
for v in default s24m s8k; do
  nvcc -arch="$ARCH" "$WORK/test_llm_blas_$v.o" "$WORK/pare_cu_llm_blas_$v.o" "$WORK/pare_cu_llm.o" \
    "$WORK/pare_cu_llm_w4.o" -lcublas -lcublasLt -o "$WORK/test_llm_blas_$v"
  result $? "build test_llm_blas ($FLAGS, int4 slices ${SLICE[$v]} bytes, -lcublas -lcublasLt)"
done
for v in default s8k; do
  [[ -x "$WORK/test_llm_blas_$v" ]] || continue
  "$WORK/test_llm_blas_$v" > "$WORK/checks.log" 2>&1
  status=$?
  grep -E "^FAIL|passed|\.cu:[0-9]+:|no CUDA" "$WORK/checks.log"
  result $status "pare_llm_blas_* against pare's kernels (fp32, fp16, int4; int4 slices ${SLICE[$v]} bytes)"
done
if [[ -x "$WORK/test_llm_blas_default" ]]; then
  "$WORK/test_llm_blas_default" --bench
  result $? "7B-layer timings: pare kernels, blas path, bare cuBLAS; int4 blas vs fp16 cuBLAS"
fi
if [[ -x "$WORK/test_llm_blas_s24m" ]]; then
  "$WORK/test_llm_blas_s24m" --bench w4
  result $? "int4 timings with 24 MiB slices"
fi
echo "blas check: $pass passed, $fail failed"
[[ $fail == 0 ]]
