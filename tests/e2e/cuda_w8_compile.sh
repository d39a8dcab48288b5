#!/usr/bin/env bash
# CI has no GPU: compile the W8A8 CUDA kernels (runtime-stubs/cuda-llm/pare_cu_llm_w8.cu, issue 19)
# with nvcc, warnings as errors, for sm_80 (the int8 mma.sync's first architecture) and sm_90 (and
# sm_90a with the experimental wgmma GEMM), the cuBLASLt int8 prefill path pare_cu_llm_blas_w8.cu
# (sm_80, sm_90a) and its test's object (tests/cuda/test_llm_blas_w8.cu), and
# build tests/cuda/test_llm_w8.cu with its cuBLAS / cuBLASLt benchmark against them and the C
# target's pare_llm_w8.c (its reference). The GPU run is tests/cuda/run_w8_check.sh.
#   tests/e2e/cuda_w8_compile.sh
set -euo pipefail
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [[ ! -x "$NVCC" ]]; then
  echo "cuda-w8-compile: nvcc not found; skipped"
  exit 0
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CC="${CC:-cc}"
STRICT="-Xcompiler -Wall,-Wextra -Werror all-warnings"
INC="-I$ROOT/runtime-stubs/cuda-llm -I$ROOT/runtime-stubs/c"
pids=()
for arch in sm_80 sm_90; do
  "$NVCC" -std=c++17 -O1 -arch=$arch $STRICT $INC -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w8.cu" \
    -o "$WORK/pare_cu_llm_w8_$arch.o" &
  pids+=($!)
done
# The cuBLASLt int8 prefill path of --cuda-gemm cublas (pare_cu_llm_blas_w8.cu), sm_80 and sm_90a.
for arch in sm_80 sm_90a; do
  "$NVCC" -std=c++17 -O1 -arch=$arch $STRICT $INC -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_blas_w8.cu" \
    -o "$WORK/pare_cu_llm_blas_w8_$arch.o" &
  pids+=($!)
done
# The experimental Hopper GEMM (wgmma), sm_90a only.
"$NVCC" -std=c++17 -O1 -arch=sm_90a -DPARE_LLM_W8_WGMMA $STRICT $INC \
  -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm_w8.cu" -o "$WORK/pare_cu_llm_w8_wgmma.o" &
pids+=($!)
"$NVCC" -std=c++17 -O1 -arch=sm_90 $STRICT $INC -DPARE_BENCH_CUBLAS -c "$ROOT/tests/cuda/test_llm_w8.cu" \
  -o "$WORK/test_llm_w8.o"
# Its GPU test (tests/cuda/run_blas_w8_check.sh links it with pare_cu_llm_blas.cu and runs it).
"$NVCC" -std=c++17 -O1 -arch=sm_90a $STRICT $INC -c "$ROOT/tests/cuda/test_llm_blas_w8.cu" \
  -o "$WORK/test_llm_blas_w8.o"
for p in "${pids[@]}"; do wait "$p"; done
"$CC" -std=c99 -O1 -Wall -Wextra -Werror -I"$ROOT/runtime-stubs/c" -c "$ROOT/runtime-stubs/c/pare_llm_w8.c" \
  -o "$WORK/pare_llm_w8.o"
"$NVCC" -arch=sm_90 "$WORK/test_llm_w8.o" "$WORK/pare_cu_llm_w8_sm_90.o" "$WORK/pare_llm_w8.o" \
  -lcublas -lcublasLt -o "$WORK/test_llm_w8"
echo "cuda-w8-compile: pare_cu_llm_w8.cu (sm_80, sm_90, sm_90a wgmma), pare_cu_llm_blas_w8.cu (sm_80, sm_90a), test_llm_w8 and test_llm_blas_w8.o ok"
