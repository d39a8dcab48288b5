#!/usr/bin/env bash
# On the GPU machine (H100 / H200): the decoder kernel tests and the prefill GEMM bench with the
# Hopper prefill GEMM of runtime-stubs/cuda-llm/pare_cu_llm.cu built in (sm_90a, PARE_CU_SM90A:
# what an sm_90 decoder gets once its .mk builds for sm_90a) and cuBLAS linked for the comparison.
#
#   tests/cuda/run_prefill_bench.sh [--bin TEST_BINARY] [--no-bench]
#
# --bin runs a test_llm_kernels built elsewhere with the same flags (nvcc is slow on the sm_90a
# kernels: building here first saves GPU time) instead of building it.
#
# 1. tests/cuda/test_llm_kernels.cu against its CPU references (the prefill cases under every
#    PARE_LLM_GEMM kernel choice: automatic, wgmma128, wgmma256, cpasync, wmma);
# 2. its --bench: decode GEMV GB/s, then prefill TFLOP/s at 512 and 2048 rows for the Llama-2-7B
#    and SmolLM2-135M linears (linear, norm prologue, no TMA, the portable WMMA kernel, cuBLAS) and one
#    7B layer's prefill GEMMs summed, pare vs cuBLAS.
# Each run is under a timeout, so a hung kernel cannot hold the GPU. Exits 1 when the tests fail
# or a step does not finish.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/usr/local/cuda/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BIN=""
BENCH=1
while [[ $# -gt 0 ]]; do
  case "$1" in
  --bin) BIN="$(realpath "$2")"; shift 2 ;;
  --no-bench) BENCH=0; shift ;;
  *) echo "usage: $0 [--bin TEST_BINARY] [--no-bench]"; exit 2 ;;
  esac
done
nvidia-smi -L || true
FLAGS=(-std=c++17 -O3 -arch=sm_90a -DPARE_CU_SM90A -DPARE_BENCH_CUBLAS
  -I"$ROOT/runtime-stubs/cuda-llm" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c")
if [[ -z "$BIN" ]]; then
  start=$SECONDS
  nvcc "${FLAGS[@]}" -c "$ROOT/runtime-stubs/cuda-llm/pare_cu_llm.cu" -o "$WORK/pare_cu_llm.o" &
  kern=$!
  nvcc "${FLAGS[@]}" -c "$ROOT/tests/cuda/test_llm_kernels.cu" -o "$WORK/test_llm_kernels.o" &
  test=$!
  wait $kern || { echo "FAIL build pare_cu_llm.cu (sm_90a)"; exit 1; }
  wait $test || { echo "FAIL build test_llm_kernels.cu"; exit 1; }
  nvcc -arch=sm_90a "$WORK/test_llm_kernels.o" "$WORK/pare_cu_llm.o" -lcublas -o "$WORK/test_llm_kernels" ||
    { echo "FAIL link"; exit 1; }
  echo "built in $((SECONDS - start)) s"
  BIN="$WORK/test_llm_kernels"
fi
status=0
timeout 120 "$BIN"
rc=$?
[[ $rc == 0 ]] && echo "PASS kernel tests (sm_90a build)" || { echo "FAIL kernel tests (rc $rc)"; status=1; }
if [[ $BENCH == 1 ]]; then
  timeout 240 "$BIN" --bench
  rc=$?
  [[ $rc == 0 ]] || { echo "FAIL bench (rc $rc)"; status=1; }
fi
exit $status
