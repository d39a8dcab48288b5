#!/usr/bin/env bash
# int8 end to end: pare quantizes the bundled PaddleOCR classifier itself
# (--quantize int8, calibrated on 8 seeded random inputs), the generated C runs
# on the host (gcc) and on Cortex-M7 under QEMU (arm-none-eabi-gcc, the
# STM32F746 memory map: 1 MiB flash, 320 KiB SRAM); both outputs must be
# identical, bit for bit, and two compiles must give byte-identical files;
# for Cortex-M33 and M55 the code builds with the flags of its CMake fragment.
#   tests/e2e/cortex_m_int8.sh PATH/TO/pare
set -euo pipefail
PARE=${1:?usage: cortex_m_int8.sh PATH/TO/pare}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"; [ -x "$PY" ] || PY=python3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
MODEL="$ROOT/examples/models/ppocr_cls_mobilenetv3.onnx"
"$PY" - "$TMP/cal" <<'PYEOF'
import os, sys, numpy as np
d = sys.argv[1]; os.makedirs(d)
r = np.random.default_rng(7)
for i in range(9):
    np.save(os.path.join(d, "x_%03d.npy" % i), r.uniform(-1, 1, (1, 3, 48, 192)).astype(np.float32))
PYEOF
mv "$TMP/cal/x_008.npy" "$TMP/input.npy"
FLAGS=(--input-shape x=1,3,48,192 --quantize int8 --calibration "$TMP/cal" --name ppocr_cls)
"$PARE" compile "$MODEL" "${FLAGS[@]}" -o "$TMP/host" --emit-runner -q
# Deterministic: calibration and quantization give byte-identical files.
"$PARE" compile "$MODEL" "${FLAGS[@]}" -o "$TMP/again" --emit-runner -q
diff -r "$TMP/host" "$TMP/again" >/dev/null || { echo "int8 output is not deterministic"; exit 1; }
(cd "$TMP/host" && gcc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -o runner *.c -lm)
mkdir -p "$TMP/host_out"
"$TMP/host/runner" -o "$TMP/host_out" "$TMP/input.npy"
"$PY" "$ROOT/scripts/run_cortex_m.py" "$MODEL" --cpu m7 --board stm32f746 \
  --pare "$PARE" "${FLAGS[@]}" --input "$TMP/input.npy" --out "$TMP/qemu_out"
# Cortex-M33 / M55 (no QEMU board here): the generated code builds warning-free
# with the CPU flags pare puts into the CMake fragment.
for cpu in cortex-m33 cortex-m55; do
  "$PARE" compile "$MODEL" "${FLAGS[@]}" --target "$cpu" -o "$TMP/$cpu" -q
  read -r -a CPUFLAGS <<<"$(sed -n 's/^set(PPOCR_CLS_CPU_FLAGS \(.*\))$/\1/p' "$TMP/$cpu/ppocr_cls.cmake")"
  [ "${#CPUFLAGS[@]}" -gt 0 ] || { echo "no CPU flags in $cpu's CMake fragment"; exit 1; }
  for f in "$TMP/$cpu"/*.c; do
    arm-none-eabi-gcc "${CPUFLAGS[@]}" -std=c99 -Wall -Wextra -Werror -pedantic -O3 -c "$f" -o /dev/null
  done
  echo "$cpu: builds with ${CPUFLAGS[*]}"
done
"$PY" - "$TMP/host_out" "$TMP/qemu_out" <<'PYEOF'
import glob, os, sys, numpy as np
a_dir, b_dir = sys.argv[1], sys.argv[2]
names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a_dir, "*.npy")))
assert names, "no host outputs"
for n in names:
    a, b = np.load(os.path.join(a_dir, n)), np.load(os.path.join(b_dir, n))
    if not np.array_equal(a, b):
        sys.exit("int8 host and Cortex-M7 outputs differ in %s: %s vs %s" % (n, a.ravel(), b.ravel()))
    print("%s: host == cortex-m7 %s" % (n, a.ravel()))
print("cortex-m int8: outputs identical")
PYEOF
