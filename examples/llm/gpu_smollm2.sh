#!/usr/bin/env bash
# SmolLM2 through pare's CUDA target on the GPU machine, checked against onnxruntime (issue 16).
# Runs THERE, from the repository root, after examples/llm/prepare_gpu.sh staged its files here
# and the calls of build/gpu-llm/PLAN.txt copied them into STAGE (default /tmp/stage).
#
#   1. installs the carried wheels (transformers 4.44.2 & co.: the GPU machine's transformers 5.x
#      does not export with the legacy exporter) into /tmp/site;
#   2. the model: --real joins the GGUF chunks (sha256-checked) and runs gguf_to_hf.py (greedy
#      "Paris" check) and export_onnx.py; --random exports a SmolLM2-shaped model with random
#      weights (export_onnx.py --tiny with SmolLM2's sizes), for when the GGUF is not staged;
#   3. pare compile --target cuda, fp32 and --precision fp16, --emit-runner; make;
#   4. benchmarks/llm/greedy.py (10 prompts x 128 tokens; --exact for fp32, reported for fp16)
#      against STAGE/ref/greedy128.json (--real; made here by prepare_gpu.sh) or a reference made
#      there (--random), and benchmarks/llm/perplexity.py against onnxruntime (0.5% for fp16);
#      the runner's prefill / decode tokens per second.
# Everything it prints is also in OUT/gpu_smollm2.log (OUT defaults to $OUT of the device tool).
#
# Usage: bash examples/llm/gpu_smollm2.sh --real|--random [STAGE] [OUT]
# Environment: MAX_CONTEXT (default 2048), N (tokens per prompt, default 128), PPL_TOKENS (4096),
# PPL_PRECISIONS (default "fp16": the precisions whose perplexity is measured).
set -uo pipefail

MODE="${1:-}"
case "$MODE" in --real|--random) ;; *) echo "usage: $0 --real|--random [STAGE] [OUT]" >&2; exit 1 ;; esac
STAGE="${2:-/tmp/stage}"
OUTDIR="${3:-${OUT:-/tmp/gpu-out}}"
MAX_CONTEXT="${MAX_CONTEXT:-2048}"
N="${N:-128}"
PPL_TOKENS="${PPL_TOKENS:-4096}"
W=/tmp/llm-work
mkdir -p "$OUTDIR" "$W"
exec > >(tee -a "$OUTDIR/gpu_smollm2.log") 2>&1
export PYTHONUNBUFFERED=1
say() { printf '==> %s\n' "$*"; }
die() { printf 'gpu_smollm2.sh: error: %s\n' "$*"; exit 1; }

# --- 1. Wheels and pare ---------------------------------------------------------------------------
WHL="$STAGE/.whl"; [[ -d "$WHL" ]] || WHL=.whl
[[ -d "$WHL" ]] || die "no wheels in $STAGE/.whl or .whl (examples/llm/prepare_gpu.sh makes them; carry .whl)"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHL"/*.whl \
  || die "pip could not install the wheels of $WHL"
export PYTHONPATH=/tmp/site
PARE="$STAGE/pare-portable/pare"; [[ -x "$PARE" ]] || PARE=dist/pare-portable/pare
[[ -x "$PARE" ]] || die "no portable pare in $STAGE/pare-portable or dist/pare-portable (scripts/build_portable.sh; carry it)"
python3 -c 'import torch, transformers, onnxruntime; print("torch", torch.__version__, "transformers", transformers.__version__, "onnxruntime", onnxruntime.__version__, "cuda", torch.cuda.is_available())'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

# --- 2. The model ---------------------------------------------------------------------------------
TEXT="$STAGE/text.txt"
[[ -f "$TEXT" ]] || die "$TEXT is missing (prepare_gpu.sh stages the perplexity text)"
if [[ "$MODE" == --real ]]; then
  (cd "$STAGE" && sha256sum -c --quiet SHA256SUMS) || die "stage incomplete (machine lost between calls?): restart from call 1 of PLAN.txt"
  cat "$STAGE"/gguf.part* > "$W/smollm2.gguf"
  echo "$(cat "$STAGE/GGUF_SHA256")  $W/smollm2.gguf" | sha256sum -c --quiet || die "joined GGUF has the wrong sha256"
  say "gguf_to_hf.py"
  # The GGUF is sha256-checked and converted as here (where gguf_to_hf.py's greedy check ran): the
  # device time goes to the GPU checks.
  python3 examples/llm/gguf_to_hf.py --gguf "$W/smollm2.gguf" --out "$W/hf" --no-check || die "gguf_to_hf.py failed"
  TOK="$W/hf/tokenizer.json"
  cmp -s "$TOK" "$STAGE/tokenizer.json" || die "the tokenizer.json made here differs from the staged one"
  python3 examples/llm/export_onnx.py --hf "$W/hf" --out "$W/smollm2.onnx" || die "export failed"
  REF="$STAGE/ref/greedy$N.json"
else
  TOK="$STAGE/tokenizer.json"
  say "random SmolLM2-shaped model"
  python3 examples/llm/export_onnx.py --tiny --layers 30 --hidden 576 --heads 9 --kv-heads 3 --intermediate 1536 \
    --vocab 49152 --rope-theta 100000 --max-position 8192 --init-std 0.02 --out "$W/smollm2.onnx" || die "export failed"
  REF="$W/greedy$N.json"
  python3 benchmarks/llm/ort_reference.py greedy --model "$W/smollm2.onnx" --tokenizer "$TOK" \
    --prompts benchmarks/llm/prompts.txt -n "$N" --out "$REF" > "$W/ref.log" || die "reference greedy failed"
fi
[[ -f "$REF" ]] || die "$REF is missing"

# --- 3. and 4. CUDA fp32 and fp16 -----------------------------------------------------------------
status=0
# Both precisions compiled and built at once (the machine has 16 cores), then checked in turn.
for prec in fp32 fp16; do
  D="$W/cu_$prec"
  ( say "pare compile --target cuda --precision $prec --max-context $MAX_CONTEXT"
    /usr/bin/time -f "pare compile ($prec): %e s, %M KB" "$PARE" compile "$W/smollm2.onnx" --target cuda \
      --precision "$prec" --max-context "$MAX_CONTEXT" --name smollm2 --emit-runner -o "$D" \
      && make -s -C "$D" -f smollm2.mk ) &
done
wait
for prec in fp32 fp16; do
  D="$W/cu_$prec"
  [[ -x "$D/generate" ]] || { echo "pare compile / make failed for $prec"; status=1; continue; }
  "$D/generate" -w "$D/smollm2_weights.bin" --tokenizer "$TOK" -p "The capital of France is" -n "$N"
  "$D/generate" -w "$D/smollm2_weights.bin" --tokenizer "$TOK" --chat -p "What is the capital of France?" -n 32
  exact=(); [[ $prec == fp32 ]] && exact=(--exact)
  python3 benchmarks/llm/greedy.py --runner "$D/generate" --weights "$D/smollm2_weights.bin" --tokenizer "$TOK" \
    -n "$N" --reference "$REF" "${exact[@]}" || status=1
  # The issue's bound is on fp16 (within 0.5% of onnxruntime fp32); the C target checks fp32's.
  [[ " ${PPL_PRECISIONS:-fp16} " == *" $prec "* ]] || continue
  tol=0.005; [[ $prec == fp32 ]] && tol=0.0001
  python3 benchmarks/llm/perplexity.py --runner "$D/generate" --weights "$D/smollm2_weights.bin" --model "$W/smollm2.onnx" \
    --tokenizer "$TOK" --text "$TEXT" --window 256 --max-tokens "$PPL_TOKENS" --tol "$tol" || status=1
done
say "done (status $status); log: $OUTDIR/gpu_smollm2.log"
exit $status
