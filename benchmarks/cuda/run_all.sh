#!/usr/bin/env bash
# On a GPU machine: the CUDA kernel tests, then the end-to-end numerics and
# benchmark run (benchmarks/cuda/run_gpu.py). Usage:
#   benchmarks/cuda/run_all.sh PARE OUTDIR [run_gpu.py options...]
# PARE is a pare binary that runs there (scripts/build_portable.sh).
set -euo pipefail
PARE="$1"; OUT="$2"; shift 2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/usr/local/cuda/bin:$PATH"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L | tee "$OUT/gpu.txt"
status=0
nvcc -std=c++17 -O3 -arch=sm_90a -DPARE_CU_SM90A -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c" "$ROOT/tests/cuda/test_misc.cu" \
  "$ROOT"/runtime-stubs/cuda/pare_cu_{elementwise,reduce,pool_data}.cu -o "$WORK/test_misc"
nvcc -std=c++17 -O3 -arch=sm_90a -DPARE_CU_SM90A -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c" "$ROOT/tests/cuda/test_conv_gemm.cu" \
  "$ROOT"/runtime-stubs/cuda/pare_cu_{conv,gemm}.cu -o "$WORK/test_conv_gemm"
"$WORK/test_misc" | tail -1 | tee "$OUT/kernel_tests.txt" || status=1
"$WORK/test_conv_gemm" | tail -1 | tee -a "$OUT/kernel_tests.txt" || status=1
PYTHONUNBUFFERED=1 python3 "$ROOT/benchmarks/cuda/run_gpu.py" --pare "$PARE" --out "$OUT" "$@" || status=1
exit $status
