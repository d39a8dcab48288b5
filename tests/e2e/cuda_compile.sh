#!/usr/bin/env bash
# CI has no GPU: compile (and link) the CUDA C++ that pare emits for real
# models with nvcc, fp32 and fp16, warning-free. The GPU run itself is
# benchmarks/cuda/run_gpu.py on a machine with a GPU.
set -euo pipefail
PARE="$1"
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [[ ! -x "$NVCC" ]]; then
  echo "cuda-compile: nvcc not found; skipped"
  exit 0
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODELS="${MODELS:-$ROOT/build/models}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
compile() { # model name extra-args...
  local model="$1" name="$2"
  shift 2
  for precision in fp32 fp16; do
    local out="$WORK/$name-$precision"
    "$PARE" compile "$model" --target cuda --precision "$precision" --emit-runner -o "$out" -q "$@"
    "$NVCC" -std=c++17 -O1 -arch=sm_90 -Xcompiler -Wall,-Wextra -Werror all-warnings \
      "$out"/*.cu -o "$out/runner"
    echo "cuda-compile: $name $precision ok"
  done
}
compile "$ROOT/examples/models/ppocr_cls_mobilenetv3.onnx" ppocr --input-shape x=1,3,48,192
if [[ -f "$MODELS/mobilenet_v2_035.onnx" ]]; then
  compile "$MODELS/mobilenet_v2_035.onnx" mobilenet_v2_035
fi
# The kernel test programs (run on a GPU by benchmarks/cuda/run_all.sh).
"$NVCC" -std=c++17 -O1 -arch=sm_90 -I"$ROOT/runtime-stubs/cuda" "$ROOT/tests/cuda/test_misc.cu" \
  "$ROOT"/runtime-stubs/cuda/pare_cu_{elementwise,reduce,pool_data}.cu -o "$WORK/test_misc"
"$NVCC" -std=c++17 -O1 -arch=sm_90 -I"$ROOT/runtime-stubs/cuda" "$ROOT/tests/cuda/test_conv_gemm.cu" \
  "$ROOT"/runtime-stubs/cuda/pare_cu_{conv,gemm}.cu -o "$WORK/test_conv_gemm"
echo "cuda-compile: kernel tests ok"
