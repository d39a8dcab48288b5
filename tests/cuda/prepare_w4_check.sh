#!/usr/bin/env bash
# Here (no GPU needed): the 4-bit (W4A16, issue 18) CUDA decoders that tests/cuda/run_w4_check.sh
# checks on the GPU machine, each with token ids and reference logits of every position, into
# OUT (default build/w4-check; about 2 MB, small enough to carry there). The directories have
# prepare_decoder_check.sh's form (generated files with --emit-runner, ids.npy, ref.npy, tol),
# so tests/cuda/run_decoder_check.sh checks them:
#
#   tiny_w4-fp32/ tiny_w4-fp16/   tests/lit/codegen/Inputs/decoder_tiny_w4.mlir (the hand-written
#                                 step function, every linear a pare.matmul_nbits, groups of 16
#                                 and 32, max context 64), 40 ids: prefill chunks of up to 64
#                                 rows (the tiled GEMM), decode (the GEMV), prefills of 1 to 8
#                                 rows (both); reference: the C target of the same IR
#                                 (pare_matmul_nbits_f32), built and run here and checked
#                                 against tests/cuda/w4_reference.py (NumPy, float64; the
#                                 reference itself when the C target cannot build it)
#   llama_w4-fp32/ llama_w4-fp16/ the tiny random Llama (build/llm/tiny.onnx, examples/llm/
#                                 export_onnx.py --tiny) quantized by onnxruntime's
#                                 MatMul4BitsQuantizer (blocks of 32, asymmetric) into
#                                 com.microsoft MatMulNBits, through the whole pipeline (import
#                                 as pare.matmul_nbits, recognition, pare-derive-decoder), max
#                                 context 256, 200 ids (two prefill chunks of 128); reference:
#                                 onnxruntime on the quantized full-sequence model
#
# Each is compiled twice: fused (the default: pare_llm_qkv_w4 / linear_w4 / gated_w4, the norms,
# rotary, KV writes, residual adds and the SiLU gate in the int4 GEMV's prologue and epilogues)
# and with --cuda-fusion off (one launch an op, pare_llm_matmul_w4), into <name>-<precision> and
# <name>_unfused-<precision>: both against the same reference and tolerance.
#
# tol: 1e-4 (fp32) and 2e-2 (fp16) of max|ref|, issue 16's bounds: the C and CUDA targets
# dequantize each weight to the same value ((q - zero) * scale with fp16-representable scales)
# and differ in the order of float sums, fp16 also in the storage of activations.
#
#   tests/cuda/prepare_w4_check.sh [OUT]     (PARE=... to use another pare binary)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/build/w4-check}")"
PARE="${PARE:-$ROOT/build/tools/pare/pare}"
PY="${PY:-$ROOT/build/llm-venv/bin/python}"
CC="${CC:-cc}"
rm -rf "$OUT"
mkdir -p "$OUT"

# ---- the hand-written W4 step function; reference: the C target, checked against NumPy ----
TINY="$ROOT/tests/lit/codegen/Inputs/decoder_tiny_w4.mlir"
"$PY" -c "import numpy as np; np.save('$OUT/tiny-ids.npy', np.random.default_rng(18).integers(0, 40, 40).astype(np.int64))"
"$PY" "$ROOT/tests/cuda/w4_reference.py" "$TINY" "$OUT/tiny-ids.npy" "$OUT/tiny-ref-numpy.npy"
if "$PARE" compile "$TINY" -o "$OUT/tiny-c" --name tiny_w4 -q --emit-runner &&
  grep -q "pare_matmul_nbits_f32(" "$OUT/tiny-c/tiny_w4.c" &&
  "$CC" -std=c99 -O2 -I"$OUT/tiny-c" "$ROOT/tests/cuda/decoder_check.c" "$OUT/tiny-c"/tiny_w4.c \
    "$OUT/tiny-c"/pare_llm*.c $(ls "$OUT/tiny-c"/pare_k_*.c 2>/dev/null) -lm -o "$OUT/tiny-c/decoder_check" &&
  (cd "$OUT/tiny-c" && ./decoder_check -w tiny_w4_weights.bin --ids "$OUT/tiny-ids.npy" --dump "$OUT/tiny-ref.npy" >/dev/null); then
  # The C target (pare_matmul_nbits_f32, float sums) must agree with the float64 NumPy reference.
  "$PY" "$ROOT/tests/cuda/w4_reference.py" "$TINY" "$OUT/tiny-ids.npy" "$OUT/tiny-ref-numpy.npy" \
    --check "$OUT/tiny-ref.npy" --tol 1e-5
else
  echo "prepare_w4_check.sh: the C target of $TINY did not build or run: the reference is NumPy's alone"
  cp "$OUT/tiny-ref-numpy.npy" "$OUT/tiny-ref.npy"
fi
# The fused decoders must have fused int4 launches, the unfused ones none.
check_fused() { # dir name sfx fused(1/0)
  local n
  n="$(grep -c "pare_llm_\(qkv\|linear\|gated\)_w4_$3(" "$1/$2.cu" || true)"
  if [[ $4 == 1 && $n == 0 ]] || [[ $4 == 0 && $n != 0 ]]; then
    echo "prepare_w4_check.sh: $1 has $n fused int4 launches"
    exit 1
  fi
}
for p in fp32 fp16; do
  sfx="$([[ $p == fp32 ]] && echo f32 || echo f16)"
  for mode in "" _unfused; do
    d="$OUT/tiny_w4$mode-$p"
    "$PARE" compile "$TINY" --target cuda --precision "$p" -o "$d" --name tiny_w4 -q --emit-runner \
      $([[ -n $mode ]] && echo --cuda-fusion off)
    check_fused "$d" tiny_w4 "$sfx" "$([[ -n $mode ]] && echo 0 || echo 1)"
    cp "$OUT/tiny-ids.npy" "$d/ids.npy"
    cp "$OUT/tiny-ref.npy" "$d/ref.npy"
  done
done
rm -rf "$OUT/tiny-c" "$OUT"/tiny-*.npy

# ---- the tiny random Llama quantized by onnxruntime; reference: onnxruntime ----
LLAMA="$ROOT/build/llm/tiny.onnx"
[[ -f "$LLAMA" ]] || "$PY" "$ROOT/examples/llm/export_onnx.py" --tiny --out "$LLAMA"
Q="$OUT/llama-w4.onnx"
"$PY" - "$LLAMA" "$Q" <<'EOF'
import logging
import sys

import onnx
from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer

logging.getLogger("onnxruntime.quantization.matmul_4bits_quantizer").setLevel(logging.WARNING)
q = MatMul4BitsQuantizer(onnx.load(sys.argv[1]), block_size=32, is_symmetric=False)
q.process()
nodes = [n for n in q.model.model.graph.node if n.op_type == "MatMulNBits"]
if not nodes:
    sys.exit("prepare_w4_check.sh: the quantizer made no MatMulNBits")
onnx.save(q.model.model, sys.argv[2])
EOF
IDS="$("$PY" -c "import numpy as np; print(','.join(map(str, np.random.default_rng(7).integers(0, 256, 200))))")"
"$PY" -c "import numpy as np; np.save('$OUT/llama-ids.npy', np.array([$IDS], dtype=np.int64))"
"$PY" "$ROOT/benchmarks/llm/ort_reference.py" logits --model "$Q" --ids "$IDS" --out "$OUT/llama-ref.npy" >/dev/null
for p in fp32 fp16; do
  sfx="$([[ $p == fp32 ]] && echo f32 || echo f16)"
  for mode in "" _unfused; do
    d="$OUT/llama_w4$mode-$p"
    "$PARE" compile "$Q" --max-context 256 --prefill-chunk 128 --target cuda --precision "$p" \
      -o "$d" --name llama_w4 -q --emit-runner $([[ -n $mode ]] && echo --cuda-fusion off)
    if [[ -n $mode ]]; then
      grep -q "pare_llm_matmul_w4_$sfx(" "$d/llama_w4.cu" ||
        { echo "prepare_w4_check.sh: $d has no int4 matmul"; exit 1; }
    fi
    check_fused "$d" llama_w4 "$sfx" "$([[ -n $mode ]] && echo 0 || echo 1)"
    cp "$OUT/llama-ids.npy" "$OUT/llama_w4$mode-$p/ids.npy"
    cp "$OUT/llama-ref.npy" "$OUT/llama_w4$mode-$p/ref.npy"
  done
done
rm -f "$OUT"/llama-*.npy "$Q"

for d in "$OUT"/*-fp32; do echo 1e-4 > "$d/tol"; done
for d in "$OUT"/*-fp16; do echo 2e-2 > "$d/tol"; done
du -sh "$OUT"
