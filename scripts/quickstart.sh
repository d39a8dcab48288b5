#!/usr/bin/env bash
# The main job on a bundled example, from a fresh Debian 12 machine:
#   1. scripts/setup.sh (Debian packages, .venv, build pare);
#   2. pare compile the bundled PaddleOCR classifier to C (build/example/model);
#   3. build examples/host against it with CMake and run it;
#   4. pare validate: the generated C against onnxruntime on random inputs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
PARE=build/tools/pare/pare
MODEL=examples/models/ppocr_cls_mobilenetv3.onnx
echo "==> pare compile $MODEL"
$PARE compile "$MODEL" --input-shape x=1,3,48,192 --name ppocr_cls -o build/example/model
echo "==> building examples/host"
cmake -G Ninja -S examples/host -B build/example/host -DPARE_MODEL_DIR="$ROOT/build/example/model" >/dev/null
ninja -C build/example/host >/dev/null
echo "==> running the generated C"
build/example/host/host_example
echo "==> pare validate (generated C vs onnxruntime)"
$PARE validate "$MODEL" --input-shape x=1,3,48,192 --python .venv/bin/python
