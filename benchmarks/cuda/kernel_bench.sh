#!/usr/bin/env bash
# On a GPU machine: builds tests/cuda/test_conv_gemm.cu twice (the portable
# kernels, and with the sm_90a kernels: -arch=sm_90a -DPARE_CU_SM90A), runs the
# numeric cases of both, times the key GEMM / convolution shapes of both
# (--bench), then the same shapes through cuBLAS / cuDNN (kernel_ref.py, PyTorch).
#   benchmarks/cuda/kernel_bench.sh OUTDIR
set -euo pipefail
OUT="$1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/usr/local/cuda/bin:$PATH"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
nvidia-smi -L | tee "$OUT/gpu.txt"
SRC=("$ROOT/tests/cuda/test_conv_gemm.cu" "$ROOT"/runtime-stubs/cuda/pare_cu_{conv,gemm}.cu)
build() { # name, extra flags...
  local name="$1"; shift
  mkdir -p "$WORK/$name"
  for s in "${SRC[@]}"; do
    nvcc -std=c++17 -O3 "$@" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c" -c "$s" -o "$WORK/$name/$(basename "$s").o" &
  done
  wait
  nvcc "$@" "$WORK/$name"/*.o -o "$WORK/$name/t"
}
build sm90 -arch=sm_90 &
build sm90a -arch=sm_90a -DPARE_CU_SM90A &
wait
status=0
for v in sm90a sm90; do
  echo "== test_conv_gemm ($v)" | tee -a "$OUT/kernels.txt"
  timeout 240 "$WORK/$v/t" --bench 2>&1 | grep -v "^ok" | tee -a "$OUT/kernels.txt" || status=1
done
python3 "$ROOT/benchmarks/cuda/kernel_ref.py" 2>&1 | tee "$OUT/kernel_ref.txt" || status=1
exit $status
