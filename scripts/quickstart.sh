#!/usr/bin/env bash
# The main job on a bundled example, from a fresh Debian 12 machine:
#   1. scripts/setup.sh (Debian packages, .venv, build pare);
#   2. pare compile the bundled PaddleOCR classifier to C (build/example/model);
#   3. build examples/host against it with CMake and run it;
#   4. pare validate: the generated C against onnxruntime on random inputs;
#   5. int8 for a Cortex-M7 board (1 MiB flash, 320 KiB SRAM): pare quantizes the model on
#      rendered text lines, checks the budget, and the firmware runs under QEMU.
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
echo "==> int8 for Cortex-M7: calibrate on 32 rendered text lines, compile within 320K SRAM / 1M flash"
.venv/bin/python scripts/render_text_lines.py --calib 32 --out build/example/calib >/dev/null
.venv/bin/python scripts/render_text_lines.py --count 2 --out build/example/lines >/dev/null
$PARE compile "$MODEL" --input-shape x=1,3,48,192 --name ppocr_cls --target cortex-m7 \
  --quantize int8 --calibration build/example/calib --sram 320K --flash 1M -o build/example/int8
echo "==> running the int8 firmware on an emulated Cortex-M7 (QEMU, STM32F746 memory map)"
.venv/bin/python scripts/run_cortex_m.py build/example/int8 --cpu m7 --board stm32f746 \
  --input build/example/lines/x_000.npy --pare "$PARE"
