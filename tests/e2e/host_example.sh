#!/usr/bin/env bash
# Builds examples/host against the bundled model compiled by pare, with the
# generated CMake fragment and with the generated Make snippet, and runs it.
set -euo pipefail
PARE="$1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PARE" compile "$ROOT/examples/models/ppocr_cls_mobilenetv3.onnx" --input-shape x=1,3,48,192 \
  --name ppocr_cls -o "$WORK/model" -q
cmake -G Ninja -S "$ROOT/examples/host" -B "$WORK/cmake" -DPARE_MODEL_DIR="$WORK/model" >/dev/null
ninja -C "$WORK/cmake" >/dev/null
"$WORK/cmake/host_example" | tee "$WORK/cmake.txt"
# The same program through the Make snippet.
cat > "$WORK/Makefile" <<MK
include $WORK/model/ppocr_cls.mk
host_example: $ROOT/examples/host/main.c \$(PPOCR_CLS_SRCS)
	cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 \$(PPOCR_CLS_CFLAGS) -o \$@ \$^ -lm
MK
make -s -C "$WORK" host_example
"$WORK/host_example" > "$WORK/make.txt"
diff "$WORK/cmake.txt" "$WORK/make.txt"
grep -q "P(upright)" "$WORK/make.txt"
echo "host example: CMake and Make builds agree"
