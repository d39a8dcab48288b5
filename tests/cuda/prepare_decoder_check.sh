#!/usr/bin/env bash
# Here (no GPU needed): compiles the CUDA decoders that tests/cuda/run_decoder_check.sh
# checks on the GPU machine, with token ids and reference logits of every position, into
# OUT (default build/decoder-check; about 3 MB, small enough to carry there):
#
#   tiny-fp32/ tiny-fp16/    tests/lit/codegen/Inputs/decoder_tiny.mlir (the hand-written
#                            step function, max context 32); reference: the C target of
#                            the same IR, built and run here (its decode logits)
#   llama-fp32/ llama-fp16/  the tiny random Llama of examples/llm/export_onnx.py --tiny
#                            (2 layers, hidden 64, GQA 4/2, vocab 256) through the whole
#                            pipeline (import, recognition, pare-derive-decoder), max context
#                            256, 200 ids: two prefill chunks of 128; reference: onnxruntime
#                            on the full-sequence ONNX (benchmarks/llm/ort_reference.py)
#
#   smollm2-ref/             ids.npy (a real prompt, 32 tokens) and ref.npy (onnxruntime logits
#                            of build/llm/smollm2.onnx at every position, 6.3 MB): no code, the
#                            decoders are generated on the GPU machine from the GGUF
#                            (examples/llm/gpu_smollm2.sh) and checked there by
#                            tests/cuda/check_decoder_dir.sh; made when build/llm/smollm2.onnx
#                            exists (examples/llm), skipped with a note otherwise
#
#   *-nofuse-*/              the same decoders compiled with --cuda-fusion off (one launch
#                            per op, issue 16's kernels): the fallback the fused ones
#                            (issue 17, the default) are compared with
#
# Each directory holds the generated files (with --emit-runner: pare_model.h, generate.c), ids.npy, ref.npy and tol (1e-4 for fp32, 2e-2
# for fp16: issue 16's bounds on |a - r| / max|r|).
#
#   tests/cuda/prepare_decoder_check.sh [OUT]     (PARE=... to use another pare binary)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(realpath -m "${1:-$ROOT/build/decoder-check}")"
PARE="${PARE:-$ROOT/build/tools/pare/pare}"
PY="${PY:-$ROOT/build/llm-venv/bin/python}"
CC="${CC:-cc}"
rm -rf "$OUT"
mkdir -p "$OUT"

# ---- the hand-written step function; reference: the C target ----
TINY="$ROOT/tests/lit/codegen/Inputs/decoder_tiny.mlir"
"$PY" -c "import numpy as np; np.save('$OUT/tiny-ids.npy', np.random.default_rng(5).integers(0, 16, 24).astype(np.int64))"
"$PARE" compile "$TINY" -o "$OUT/tiny-c" --name tiny -q --emit-runner
"$CC" -std=c99 -O2 -I"$OUT/tiny-c" "$ROOT/tests/cuda/decoder_check.c" "$OUT/tiny-c"/tiny.c \
  "$OUT/tiny-c"/pare_llm.c "$OUT/tiny-c"/pare_k_*.c -lm -o "$OUT/tiny-c/decoder_check"
(cd "$OUT/tiny-c" && ./decoder_check -w tiny_weights.bin --ids "$OUT/tiny-ids.npy" --dump "$OUT/tiny-ref.npy" >/dev/null)
for p in fp32 fp16; do
  for tag in "" nofuse-; do
    fusion=on
    [[ -z "$tag" ]] || fusion=off
    d="$OUT/tiny-$tag$p"
    "$PARE" compile "$TINY" --target cuda --precision "$p" --cuda-fusion "$fusion" -o "$d" --name tiny -q --emit-runner
    cp "$OUT/tiny-ids.npy" "$d/ids.npy"
    cp "$OUT/tiny-ref.npy" "$d/ref.npy"
  done
done
rm -rf "$OUT/tiny-c" "$OUT"/tiny-*.npy

# ---- the tiny random Llama through the whole pipeline; reference: onnxruntime ----
LLAMA="$ROOT/build/llm/tiny.onnx"
[[ -f "$LLAMA" ]] || "$PY" "$ROOT/examples/llm/export_onnx.py" --tiny --out "$LLAMA"
IDS="$("$PY" -c "import numpy as np; print(','.join(map(str, np.random.default_rng(7).integers(0, 256, 200))))")"
"$PY" -c "import numpy as np; np.save('$OUT/llama-ids.npy', np.array([$IDS], dtype=np.int64))"
"$PY" "$ROOT/benchmarks/llm/ort_reference.py" logits --model "$LLAMA" --ids "$IDS" --out "$OUT/llama-ref.npy" >/dev/null
for p in fp32 fp16; do
  for tag in "" nofuse-; do
    fusion=on
    [[ -z "$tag" ]] || fusion=off
    d="$OUT/llama-$tag$p"
    "$PARE" compile "$LLAMA" --max-context 256 --prefill-chunk 128 --target cuda --precision "$p" \
      --cuda-fusion "$fusion" -o "$d" --name llama -q --emit-runner
    cp "$OUT/llama-ids.npy" "$d/ids.npy"
    cp "$OUT/llama-ref.npy" "$d/ref.npy"
  done
done
rm -f "$OUT"/llama-*.npy

# ---- SmolLM2: the reference only ----
SMOL="$ROOT/build/llm/smollm2.onnx"
if [[ -f "$SMOL" ]]; then
  mkdir -p "$OUT/smollm2-ref"
  IDS="$("$PY" -c "
from tokenizers import Tokenizer
t = Tokenizer.from_file('$ROOT/build/llm/smollm2-hf/tokenizer.json')
ids = t.encode('The capital of France is Paris. The capital of Germany is Berlin. The largest planet of the solar system is Jupiter, and the closest star to the Earth is').ids
assert len(ids) >= 30, len(ids)
print(','.join(map(str, ids[:40])))")"
  "$PY" -c "import numpy as np; np.save('$OUT/smollm2-ref/ids.npy', np.array([$IDS], dtype=np.int64))"
  "$PY" "$ROOT/benchmarks/llm/ort_reference.py" logits --model "$SMOL" --ids "$IDS" --out "$OUT/smollm2-ref/ref.npy" >/dev/null
else
  echo "prepare_decoder_check.sh: $SMOL missing (examples/llm makes it): no SmolLM2 reference"
fi

for d in "$OUT"/*-fp32; do echo 1e-4 > "$d/tol"; done
for d in "$OUT"/*-fp16; do echo 2e-2 > "$d/tol"; done
du -sh "$OUT"
