#!/usr/bin/env bash
# CI has no GPU: compile and link the CUDA C++ that pare emits for real models
# with nvcc (fp32 and fp16, warnings as errors), and the CUDA kernel test
# programs. The GPU run itself is benchmarks/cuda/run_all.sh on a GPU machine.
# The runtime kernels are the same files in every output directory, so they
# are compiled once and linked into every program.
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
# sm_90a with PARE_CU_SM90A, as the emitted CMake file builds for --cuda-arch
# sm_90: the portable kernels and the Hopper (TMA + wgmma) ones.
ARCH=(-arch=sm_90a -DPARE_CU_SM90A)
FLAGS=(-std=c++17 -O1 "${ARCH[@]}" -Xcompiler -Wall,-Wextra -Werror all-warnings)
RT="$WORK/runtime"
mkdir -p "$RT"

compile_runtime() { # a generated directory: its kernel files, once
  [[ -f "$RT/done" ]] && return 0
  for f in "$1"/pare_cu_*.cu; do
    "$NVCC" "${FLAGS[@]}" -c "$f" -o "$RT/$(basename "$f" .cu).o" &
  done
  wait
  touch "$RT/done"
}

compile() { # model name extra-args...
  local model="$1" name="$2"
  shift 2
  for precision in fp32 fp16; do
    local out="$WORK/$name-$precision"
    "$PARE" compile "$model" --target cuda --precision "$precision" --emit-runner -o "$out" -q "$@"
    compile_runtime "$out"
    # The emitted runtime files must be the repository's.
    for f in "$ROOT"/runtime-stubs/cuda/* "$ROOT/runtime-stubs/c/pare_activation.h"; do
      cmp -s "$f" "$out/$(basename "$f")" || { echo "cuda-compile: $out/$(basename "$f") differs from runtime-stubs (rebuild pare)"; exit 1; }
    done
    local objs=()
    for f in "$out"/*.cu; do
      [[ "$(basename "$f")" == pare_cu_* ]] && continue
      "$NVCC" "${FLAGS[@]}" -c "$f" -o "$f.o"
      objs+=("$f.o")
    done
    "$NVCC" "${ARCH[@]}" "${objs[@]}" "$RT"/*.o -o "$out/runner"
    echo "cuda-compile: $name $precision ok"
  done
}
compile "$ROOT/examples/models/ppocr_cls_mobilenetv3.onnx" ppocr --input-shape x=1,3,48,192
# A model with no intermediate tensor and no weights: its enqueue() reads neither
# the arena nor the weights (nvcc's "set but never used" check).
cat > "$WORK/no_arena.onnxtext" <<'ONNX'
<ir_version: 8, opset_import: ["" : 13]>
g (float[3,4] x, int64[3,4] i) => (float[3,4] y) {
  y = GatherElements<axis = 1>(x, i)
}
ONNX
compile "$WORK/no_arena.onnxtext" no_arena
if [[ -f "$MODELS/mobilenet_v2_035.onnx" ]]; then
  compile "$MODELS/mobilenet_v2_035.onnx" mobilenet_v2_035
fi
if [[ -f "$MODELS/resnet18.onnx" ]]; then
  compile "$MODELS/resnet18.onnx" resnet18 --batch 1
fi

# The kernel test programs (run on a GPU by benchmarks/cuda/run_all.sh).
for t in test_misc test_conv_gemm; do
  "$NVCC" "${FLAGS[@]}" -I"$ROOT/runtime-stubs/cuda" -I"$ROOT/runtime-stubs/c" -c "$ROOT/tests/cuda/$t.cu" -o "$WORK/$t.o"
done
"$NVCC" "${ARCH[@]}" "$WORK/test_misc.o" "$RT"/pare_cu_{elementwise,reduce,pool_data}.o -o "$WORK/test_misc"
"$NVCC" "${ARCH[@]}" "$WORK/test_conv_gemm.o" "$RT"/pare_cu_{conv,gemm}.o -o "$WORK/test_conv_gemm"
echo "cuda-compile: kernel tests ok"

# The integration path the README gives: a CUDA CMake project that includes
# the emitted model.cmake (sm_90a and PARE_CU_SM90A for --cuda-arch sm_90)
# and links the model library into an application.
if command -v cmake >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1; then
  APP="$WORK/cmake-app"
  mkdir -p "$APP"
  "$PARE" compile "$ROOT/examples/models/ppocr_cls_mobilenetv3.onnx" --target cuda --precision fp16 \
    --input-shape x=1,3,48,192 --name cls -o "$APP/gen" -q
  cat > "$APP/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(app CXX CUDA)
include(gen/cls.cmake)
add_executable(app main.cu)
target_link_libraries(app PRIVATE cls)
set_target_properties(app PROPERTIES CUDA_ARCHITECTURES 90a)
CMAKE
  cat > "$APP/main.cu" <<'MAIN'
#include "cls.cuh"
int main(void) {
  cls_ctx *ctx = cls_create("cls_weights.bin", 0);
  if (ctx)
    cls_destroy(ctx);
  return 0;
}
MAIN
  grep -q "CUDA_ARCHITECTURES 90a" "$APP/gen/cls.cmake"
  grep -q "PARE_CU_SM90A=1" "$APP/gen/cls.cmake"
  cmake -G Ninja -S "$APP" -B "$APP/build" -DCMAKE_CUDA_COMPILER="$NVCC" > "$APP/configure.log" 2>&1 ||
    { cat "$APP/configure.log"; exit 1; }
  ninja -C "$APP/build" -j2 > "$APP/build.log" 2>&1 || { tail -40 "$APP/build.log"; exit 1; }
  echo "cuda-compile: CMake integration (model.cmake, sm_90a) ok"
fi
