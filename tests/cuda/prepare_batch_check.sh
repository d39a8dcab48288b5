#!/usr/bin/env bash
# Here (no GPU needed): compiles the batched CUDA decoders (pare compile --max-batch N) that
# tests/cuda/run_batch_check.sh checks on the GPU machine with tests/cuda/batch_check.c, into OUT
# (default build/batch-check; a few MB, small enough to carry there):
#
#   tiny-fp32/ tiny-fp16/          tests/lit/codegen/Inputs/decoder_tiny.mlir, --max-batch 6 (steps
#                                  of 5 and 6 rows take the GEMM path, past PARE_LLM_GEMV_ROWS = 4)
#   tiny-nofuse-fp32/              the same with --cuda-fusion off (kv_write + pare_llm_attention)
#   tiny_w4-fp32/                  decoder_tiny_w4.mlir (fused int4 qkv_w4 / linear_w4 / gated_w4)
#   tiny_w8-fp16/                  decoder_tiny_w8a8.mlir (int8 q / k / v, then kv_write)
#   tiny-cublas-fp16/ tiny_w8-cublas-fp16/ tiny_w4-cublas-fp16/   --cuda-gemm cublas
#                                  (pare_llm_blas_qkv with slots; the int4 matmuls unfused, so
#                                  kv_write + decode_attention; rows past 4 on cuBLAS / cuBLASLt)
#   llama-fp32/ llama-fp16/ llama_w8-fp16/   the tiny random Llama (build/llm/tiny.onnx, made by
#                                  examples/llm/export_onnx.py --tiny when missing) through the
#                                  whole pipeline, max context 256, --max-batch 8; llama_w8 with
#                                  --quantize w8a8 --smooth-alpha off
#
# Each directory holds the generated files (with --emit-runner), `tol` (1e-4 fp32, 2e-2 fp16:
# issue 16's bounds on |a - r| / max|r|, here between a batched row and the same sequence decoded
# alone) and `batch` (its --max-batch). The tiny ones also get ids.npy / ref.npy (the C target's
# decode logits of 24 ids) so that run_batch_check.sh runs tests/cuda/decoder_check.c on their
# slot-0 API too; that needs numpy (PY, default build/llm-venv/bin/python), skipped without.
#
#   tests/cuda/prepare_batch_check.sh [OUT]     (PARE=... to use another pare binary)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/build/batch-check}")"
PARE="${PARE:-$ROOT/build/tools/pare/pare}"
PY="${PY:-$ROOT/build/llm-venv/bin/python}"
CC="${CC:-cc}"
rm -rf "$OUT"
mkdir -p "$OUT"
INPUTS="$ROOT/tests/lit/codegen/Inputs"

# compile DIR MODEL NAME BATCH PRECISION [more pare flags]
compile() {
  local dir="$OUT/$1" model="$2" name="$3" batch="$4" precision="$5"
  shift 5
  "$PARE" compile "$model" --target cuda --precision "$precision" --max-batch "$batch" -o "$dir" \
    --name "$name" -q --emit-runner "$@"
  echo "$batch" > "$dir/batch"
  if [[ $precision == fp32 ]]; then echo 1e-4 > "$dir/tol"; else echo 2e-2 > "$dir/tol"; fi
}
compile tiny-fp32 "$INPUTS/decoder_tiny.mlir" tiny 6 fp32
compile tiny-fp16 "$INPUTS/decoder_tiny.mlir" tiny 6 fp16
compile tiny-nofuse-fp32 "$INPUTS/decoder_tiny.mlir" tiny 6 fp32 --cuda-fusion off
compile tiny_w4-fp32 "$INPUTS/decoder_tiny_w4.mlir" tiny_w4 6 fp32
compile tiny_w8-fp16 "$INPUTS/decoder_tiny_w8a8.mlir" tiny_w8 6 fp16
compile tiny-cublas-fp16 "$INPUTS/decoder_tiny.mlir" tiny 6 fp16 --cuda-gemm cublas
compile tiny_w8-cublas-fp16 "$INPUTS/decoder_tiny_w8a8.mlir" tiny_w8 6 fp16 --cuda-gemm cublas
compile tiny_w4-cublas-fp16 "$INPUTS/decoder_tiny_w4.mlir" tiny_w4 6 fp16 --cuda-gemm cublas

# The slot-0 API of the tiny decoders against the C target's logits (as prepare_decoder_check.sh).
if "$PY" -c "import numpy" 2>/dev/null; then
  "$PY" -c "import numpy as np; np.save('$OUT/tiny-ids.npy', np.random.default_rng(5).integers(0, 16, 24).astype(np.int64))"
  "$PARE" compile "$INPUTS/decoder_tiny.mlir" -o "$OUT/tiny-c" --name tiny -q --emit-runner
  "$CC" -std=c99 -O2 -I"$OUT/tiny-c" "$ROOT/tests/cuda/decoder_check.c" "$OUT/tiny-c"/tiny.c \
    "$OUT/tiny-c"/pare_llm.c "$OUT/tiny-c"/pare_k_*.c -lm -o "$OUT/tiny-c/decoder_check"
  (cd "$OUT/tiny-c" && ./decoder_check -w tiny_weights.bin --ids "$OUT/tiny-ids.npy" --dump "$OUT/tiny-ref.npy" >/dev/null)
  for d in "$OUT"/tiny-fp32 "$OUT"/tiny-fp16 "$OUT"/tiny-nofuse-fp32 "$OUT"/tiny-cublas-fp16; do
    cp "$OUT/tiny-ids.npy" "$d/ids.npy"
    cp "$OUT/tiny-ref.npy" "$d/ref.npy"
  done
  rm -rf "$OUT/tiny-c" "$OUT"/tiny-*.npy
else
  echo "prepare_batch_check.sh: $PY has no numpy: no decoder_check references"
fi

LLAMA="$ROOT/build/llm/tiny.onnx"
if [[ ! -f "$LLAMA" ]] && "$PY" -c "import torch" 2>/dev/null; then
  "$PY" "$ROOT/examples/llm/export_onnx.py" --tiny --out "$LLAMA"
fi
if [[ -f "$LLAMA" ]]; then
  compile llama-fp32 "$LLAMA" llama 8 fp32 --max-context 256
  compile llama-fp16 "$LLAMA" llama 8 fp16 --max-context 256
  compile llama_w8-fp16 "$LLAMA" llama_w8 8 fp16 --max-context 256 --quantize w8a8 --smooth-alpha off
else
  echo "prepare_batch_check.sh: $LLAMA missing (examples/llm makes it): no tiny-Llama decoders"
fi
du -sh "$OUT"
