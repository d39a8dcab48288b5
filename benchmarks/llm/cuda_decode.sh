#!/usr/bin/env bash
# Issue 17's decode-speed table on the GPU machine: pare's generated CUDA decoder against the PyTorch
# baselines of benchmarks/llm/torch_decode.py (a static-KV-cache decode step under
# torch.compile(mode="reduce-overhead"), the gpt-fast recipe, and transformers' generate), same run,
# same GPU, batch 1, fp16, random weights, a prompt of CONTEXT tokens (default 512) then TOKENS greedy
# decode steps (default 128). Runs from the repository root; nothing is downloaded.
#
#   1. installs the carried wheels (transformers 4.44.2 & co.) into /tmp/site, as
#      examples/llm/gpu_smollm2.sh does, and runs torch_decode.py --check (CPU, float32, against
#      transformers' logits) so that the baseline is the model it claims to be;
#   2. pare, SmolLM2-135M-shaped: examples/llm/export_onnx.py --tiny with SmolLM2's sizes (or --onnx),
#      `pare compile --target cuda --precision fp16 --max-context MAX_CONTEXT --emit-runner`, make;
#      in the background while step 3 runs, unless SERIAL=1 (the timed runs come after it);
#   3. torch_decode.py for the SmolLM2 and the Llama-2-7B shapes (no export needed: random weights
#      made on the GPU), torch.compile and HF generate rows;
#   4. the runner: `generate -p <CONTEXT-token prompt> -n TOKENS+1`, RUNS times (median; its
#      "decode: D tokens in X ms" line gives ms/token), and once with the per-kernel-family profile
#      when `generate --help` lists PROFILE_FLAG (default --profile);
#   5. --7b: the same for a Llama-2-7B-shaped model and the SmolLM2 tokenizer cut to 32,000 ids:
#      one exported layer (examples/llm/make_random_llama.py --layers 1, 1.9 GB) repeated 32 times
#      over the same weights (benchmarks/llm/repeat_layers.py: every layer still streams its 405 MB
#      a token, 8x the L2; pare compiles it in ~50 s / 5.5 GB here); --distinct-7b exports 32
#      distinct layers instead (27 GB; the export takes ~4-5 min there and the compile ~10x the
#      2-layer model's 237 s: run it alone over calls, --7b --no-smollm2 --no-torch; WORK keeps a
#      finished export and a built decoder while the machine stays warm);
#   6. one markdown table (model, system, ms/token, tokens/s, effective GB/s = weight bytes / time of
#      a token, prefill ms, note) under the GPU's name, also in OUT/cuda_decode.md.
# Exit status 0 only when every requested measurement ran; the table holds what did.
#
# Usage: bash benchmarks/llm/cuda_decode.sh [--7b [--distinct-7b]] [--no-smollm2] [--no-torch] [--no-torch-7b]
#            [--no-hf] [--onnx SMOLLM2_SHAPED.onnx] [--target cuda|host] [-h]
# Environment: PARE (pare binary, default dist/pare-portable/pare, else build/tools/pare/pare),
#   WHL (wheel folder, default .whl; "none": use the installed packages), PY (python3),
#   TOKENIZER (default build/llm/smollm2-hf/tokenizer.json), OUT (default $OUT of the device tool,
#   else /tmp/cuda-decode-out), WORK (/tmp/cuda-decode), CONTEXT (512), TOKENS (128), RUNS (3),
#   HF_TOKENS (32), MAX_CONTEXT (2048), CUDA_ARCH (default from nvidia-smi, else sm_90),
#   TORCH_FLAGS (more torch_decode.py flags, e.g. --no-tune), PARE_FLAGS (more pare compile flags),
#   PROFILE_FLAG (--profile), SERIAL (1: no build during the torch runs), TORCH_TIMEOUT (seconds
#   for each torch_decode.py run, default 220).
# Duration on an H100 host (estimate): ~5 min, at most ~8.5 min by the time limits; torch_decode.py
# ~2 min a shape (mostly compiling: 138 s for SmolLM2 on the loaded 2-core dev machine, CPU Inductor),
# overlapped with the export + two pare compiles + nvcc builds (~3 min); --no-torch-7b saves ~2 min.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
SHARED_7B=1 DO_SMOL=1 DO_7B=0 DO_TORCH=1 DO_TORCH_7B=1 DO_HF=1 DO_UNFUSED=1 ONNX="" TARGET=cuda
while (($#)); do
  case "$1" in
    --7b) DO_7B=1 ;;
    --no-smollm2) DO_SMOL=0 ;;
    --distinct-7b) SHARED_7B=0 ;;
    --no-torch) DO_TORCH=0 ;;
    --no-torch-7b) DO_TORCH_7B=0 ;;
    --no-hf) DO_HF=0 ;;
    --no-unfused) DO_UNFUSED=0 ;;
    --onnx) [[ $# -ge 2 ]] || { echo "cuda_decode.sh: error: --onnx needs a file" >&2; exit 1; }
      ONNX="$2"; shift ;;
    --target) [[ $# -ge 2 && ( "$2" == cuda || "$2" == host ) ]] \
        || { echo "cuda_decode.sh: error: --target needs cuda or host" >&2; exit 1; }
      TARGET="$2"; shift ;;
    -h|--help) sed -n '2,41p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cuda_decode.sh: error: unknown argument '$1' (--help)" >&2; exit 1 ;;
  esac
  shift
done

PY="${PY:-python3}"
OUTDIR="${OUT:-/tmp/cuda-decode-out}"
W="${WORK:-/tmp/cuda-decode}"
CONTEXT="${CONTEXT:-512}"
TOKENS="${TOKENS:-128}"
RUNS="${RUNS:-3}"
HF_TOKENS="${HF_TOKENS:-32}"
MAX_CONTEXT="${MAX_CONTEXT:-2048}"
PROFILE_FLAG="${PROFILE_FLAG:---profile}"
TORCH_TIMEOUT="${TORCH_TIMEOUT:-220}"
TOKENIZER="${TOKENIZER:-build/llm/smollm2-hf/tokenizer.json}"
read -r -a TORCH_EXTRA <<< "${TORCH_FLAGS:-}"
read -r -a PARE_EXTRA <<< "${PARE_FLAGS:-}"
mkdir -p "$OUTDIR" "$W" || exit 1
exec > >(tee -a "$OUTDIR/cuda_decode.log") 2>&1
export PYTHONUNBUFFERED=1
START=$SECONDS
say() { printf '==> [%4d s] %s\n' $((SECONDS - START)) "$*"; }
die() { printf 'cuda_decode.sh: error: %s\n' "$*"; exit 1; }
status=0
failed() { printf 'cuda_decode.sh: FAILED: %s\n' "$*"; status=1; }

[[ "$CONTEXT" =~ ^[1-9][0-9]*$ && "$TOKENS" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] \
  || die "CONTEXT, TOKENS and RUNS must be positive integers"
((CONTEXT + TOKENS + 1 <= MAX_CONTEXT)) || die "CONTEXT + TOKENS + 1 exceeds MAX_CONTEXT=$MAX_CONTEXT"

# --- 1. Packages, pare, the GPU, the baseline's check ---------------------------------------------
WHL="${WHL:-.whl}"
if [[ "$WHL" != none ]]; then
  compgen -G "$WHL/*.whl" > /dev/null || die "no wheels in WHL=$WHL (carry .whl, or WHL=none)"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$WHL"/*.whl || die "pip could not install the wheels of $WHL"
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if ((DO_SMOL || DO_7B)); then
  if [[ -z "${PARE:-}" ]]; then
    PARE=dist/pare-portable/pare; [[ -x "$PARE" ]] || PARE=build/tools/pare/pare
  fi
  [[ -x "$PARE" ]] || die "PARE=$PARE is not an executable (carry dist/pare-portable: scripts/build_portable.sh)"
  [[ -f "$TOKENIZER" ]] || die "TOKENIZER=$TOKENIZER: no such file (carry build/llm/smollm2-hf/tokenizer.json)"
fi
"$PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__,
  "cuda", torch.cuda.is_available())' || die "$PY cannot import torch and transformers"
GPU=cpu
if [[ $TARGET == cuda ]]; then
  GPU="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)" \
    || die "nvidia-smi failed: no GPU here (--target host for a CPU dry run)"
  if [[ -z "${CUDA_ARCH:-}" ]]; then
    cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
    case "$cap" in 80|86|89|90) CUDA_ARCH="sm_$cap" ;; *) CUDA_ARCH=sm_90 ;; esac
  fi
  echo "GPU: $GPU ($CUDA_ARCH)"
fi
df -h "$W" | tail -1
if ((DO_TORCH)); then
  say "torch_decode.py --check (CPU, float32, against transformers)"
  "$PY" benchmarks/llm/torch_decode.py --check || { failed "torch_decode.py --check"; DO_TORCH=0; }
fi
ROWS="$OUTDIR/cuda_decode.tsv"
: > "$ROWS"
PREC=fp16; [[ $TARGET == host ]] && PREC=fp32
wbytes() { "$PY" benchmarks/llm/torch_decode.py --preset "$1" --weight-bytes --dtype "${PREC/fp/float}"; }

# pare compile + make of one model: build_pare NAME ONNX DIR [MORE PARE FLAGS].
build_pare() {
  local name="$1" onnx="$2" dir="$3" prec=()
  shift 3
  [[ $TARGET == cuda ]] && prec=(--precision "$PREC" --cuda-arch "$CUDA_ARCH")
  rm -rf "$dir"
  /usr/bin/time -f "pare compile ($name): %e s, %M KB peak" "$PARE" compile "$onnx" --target "$TARGET" \
    "${prec[@]}" --max-context "$MAX_CONTEXT" --name "$name" --emit-runner "${PARE_EXTRA[@]}" "$@" -o "$dir" \
    && /usr/bin/time -f "make ($name): %e s" make -s -j8 -C "$dir" -f "$name.mk" \
    && [[ -x "$dir/generate" ]]
}

# The timed runs of one compiled model: run_pare NAME DIR TOKENIZER PROMPT WEIGHT_BYTES MODEL.
run_pare() {
  local name="$1" dir="$2" tok="$3" prompt="$4" bytes="$5" model="$6"
  say "pare $model: generate, $CONTEXT-token prompt, $TOKENS decode steps, $RUNS runs"
  "$PY" benchmarks/llm/cuda_decode.py runner --generate "$dir/generate" --weights "$dir/${name}_weights.bin" \
    --tokenizer "$tok" --prompt-file "$prompt" -n $((TOKENS + 1)) --runs "$RUNS" --model "$model" \
    --system "pare $TARGET $PREC${SYSTEM_SUFFIX:-}" --weight-bytes "$bytes" --expect-prompt "$CONTEXT" --rows "$ROWS" \
    --note "$([[ $TARGET == cuda ]] && echo "$CUDA_ARCH, CUDA graph per step")" || { failed "pare $model runs"; return; }
  # The per-kernel-family profile (GPU launches: the CUDA runner's); a runner whose usage does not
  # list the flag may lack it.
  [[ $TARGET == cuda ]] || return 0
  local prof listed=0
  prof="$OUTDIR/profile_$(basename "$dir").txt"
  "$dir/generate" --help 2>&1 | grep -q -- "$PROFILE_FLAG" && listed=1
  say "pare $model: per-kernel-family profile ($dir/generate $PROFILE_FLAG)"
  if "$dir/generate" -w "$dir/${name}_weights.bin" --tokenizer "$tok" -p "$(cat "$prompt")" \
      -n $((TOKENS + 1)) "$PROFILE_FLAG" 2> "$prof" > /dev/null; then
    cat "$prof"
    PROFILES+=("$model, pare $TARGET $PREC${SYSTEM_SUFFIX:-}|$prof")
  elif ((listed)); then
    cat "$prof"; failed "pare $model $PROFILE_FLAG"
  else
    echo "(this runner has no $PROFILE_FLAG: no per-kernel-family profile)"; tail -3 "$prof"
  fi
}
PROFILES=()

# A runner's profile lines ("profile: family | launches/token | us/token | %", then a row per
# family) as a markdown table.
profile_table() {
  local title="$1" file="$2"
  printf '\nPer kernel family, %s (one decode step replayed launch by launch with events):\n' "$title"
  sed -n 's/^profile: \(.*\)$/| \1 |/p' "$file" | sed '1a|---|---|---|---|'
}

# --- 2. pare's SmolLM2-shaped decoder (background) ------------------------------------------------
if ((DO_SMOL)); then
  # Random weights: the stop tokens renamed, so that every run decodes all TOKENS steps.
  "$PY" benchmarks/llm/cuda_decode.py tokenizer --tokenizer "$TOKENIZER" --vocab 49152 --no-stop \
    --out "$W/smollm2_tokenizer.json" || die "cannot copy the tokenizer"
  TOKENIZER="$W/smollm2_tokenizer.json"
  say "prompt of $CONTEXT tokens"
  "$PY" benchmarks/llm/cuda_decode.py prompt --tokenizer "$TOKENIZER" --tokens "$CONTEXT" \
    --out "$W/prompt.txt" || die "cannot make the prompt"
  # The fused decoder and, when this pare has the switch, the unfused one (--cuda-fusion off: the
  # issue-16 kernels) for comparison, compiled and built side by side.
  UNFUSED=0
  if ((DO_UNFUSED)) && [[ $TARGET == cuda ]]; then
    if "$PARE" compile --help 2>&1 | grep -q -- --cuda-fusion; then UNFUSED=1
    else echo "($PARE has no --cuda-fusion switch: no unfused row)"; fi
  fi
  build_smol() {
    local pids=() rc=0 p
    if [[ -z "$ONNX" ]]; then
      ONNX="$W/smollm2.onnx"
      "$PY" examples/llm/export_onnx.py --tiny --layers 30 --hidden 576 --heads 9 --kv-heads 3 \
        --intermediate 1536 --vocab 49152 --rope-theta 100000 --max-position 8192 --init-std 0.02 \
        --out "$ONNX" || return 1
    fi
    build_pare smollm2 "$ONNX" "$W/pare_smollm2" & pids+=($!)
    if ((UNFUSED)); then
      build_pare smollm2 "$ONNX" "$W/pare_smollm2_unfused" --cuda-fusion off & pids+=($!)
    fi
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    return $rc
  }
  say "building pare's SmolLM2-shaped decoder (log: $W/build_smollm2.log)"
  if [[ "${SERIAL:-0}" == 1 ]]; then
    build_smol > "$W/build_smollm2.log" 2>&1; smol_rc=$?
  else
    build_smol > "$W/build_smollm2.log" 2>&1 &
    smol_pid=$!
  fi
fi

# --- 3. PyTorch baselines --------------------------------------------------------------------------
torch_rows() {
  # HF first: it takes seconds, the compile most of the time limit.
  local preset="$1" systems=compiled
  ((DO_HF)) && systems=hf,compiled
  say "torch_decode.py --preset $preset ($systems)"
  # Bounded: a compile that runs long must not cost pare's rows (the call has 600 s).
  timeout -k 10 "$TORCH_TIMEOUT" "$PY" benchmarks/llm/torch_decode.py --preset "$preset" \
    --context "$CONTEXT" --tokens "$TOKENS" --hf-tokens "$HF_TOKENS" --repeat "$RUNS" \
    --systems "$systems" --rows "$ROWS" "${TORCH_EXTRA[@]}" \
    || failed "torch_decode.py --preset $preset (exit $?; 124: over TORCH_TIMEOUT=$TORCH_TIMEOUT s)"
}
if ((DO_TORCH)) && [[ $TARGET == cuda ]]; then
  ((DO_SMOL)) && torch_rows smollm2
  ((DO_TORCH_7B)) && torch_rows llama2-7b
fi

# --- 4. pare's SmolLM2 runs -----------------------------------------------------------------------
if ((DO_SMOL)); then
  if [[ -n "${smol_pid:-}" ]]; then
    wait "$smol_pid"; smol_rc=$?
  fi
  cat "$W/build_smollm2.log"
  ((smol_rc == 0)) || failed "export / pare compile / make of the SmolLM2-shaped model (above)"
  if [[ -x "$W/pare_smollm2/generate" ]]; then
    run_pare smollm2 "$W/pare_smollm2" "$TOKENIZER" "$W/prompt.txt" "$(wbytes smollm2)" smollm2
  fi
  if ((UNFUSED)) && [[ -x "$W/pare_smollm2_unfused/generate" ]]; then
    SYSTEM_SUFFIX=", --cuda-fusion off" \
      run_pare smollm2 "$W/pare_smollm2_unfused" "$TOKENIZER" "$W/prompt.txt" "$(wbytes smollm2)" smollm2
  fi
fi

# --- 5. pare's Llama-2-7B-shaped decoder ----------------------------------------------------------
if ((DO_7B)); then
  L7="$W/llama2-7b"
  mkdir -p "$L7"
  # A finished export is reused (WORK survives between calls while the machine is warm).
  if [[ ! -f "$L7/.exported" ]]; then
    rm -f "$L7/model.onnx" "$L7/model.onnx.data" "$L7/one.onnx" "$L7/one.onnx.data"
    if ((SHARED_7B)); then
      say "make_random_llama.py --preset llama2-7b --layers 1, repeat_layers.py 32 (shared weights)"
      "$PY" examples/llm/make_random_llama.py --preset llama2-7b --layers 1 --out "$L7/one.onnx" \
        && "$PY" benchmarks/llm/repeat_layers.py "$L7/one.onnx" "$L7/model.onnx" 32 \
        && rm -f "$L7/one.onnx" "$L7/one.onnx.data" && touch "$L7/.exported"
    else
      say "make_random_llama.py --preset llama2-7b (27 GB float32 export)"
      "$PY" examples/llm/make_random_llama.py --preset llama2-7b --out "$L7/model.onnx" \
        && touch "$L7/.exported"
    fi
    [[ -f "$L7/.exported" ]] || failed "the Llama-2-7B-shaped export (above)"
  fi
  if [[ -f "$L7/.exported" ]]; then
    "$PY" benchmarks/llm/cuda_decode.py tokenizer --tokenizer "$TOKENIZER" --vocab 32000 --no-stop \
      --out "$L7/tokenizer.json" || die "cannot make the 32,000-id tokenizer"
    "$PY" benchmarks/llm/cuda_decode.py prompt --tokenizer "$L7/tokenizer.json" --tokens "$CONTEXT" \
      --out "$L7/prompt.txt" || die "cannot make the prompt of the 32,000-id tokenizer"
    if [[ ! -x "$L7/pare/generate" ]]; then
      say "pare compile + make, Llama-2-7B shape"
      build_pare llama2_7b "$L7/model.onnx" "$L7/pare" || failed "pare compile / make of the Llama-2-7B shape"
    fi
    [[ -x "$L7/pare/generate" ]] \
      && run_pare llama2_7b "$L7/pare" "$L7/tokenizer.json" "$L7/prompt.txt" "$(wbytes llama2-7b)" llama2-7b
  fi
fi

# --- 6. The table ---------------------------------------------------------------------------------
say "done (status $status)"
"$PY" benchmarks/llm/cuda_decode.py table --rows "$ROWS" \
  --title "Decode at context $CONTEXT, $TOKENS steps, batch 1, $PREC, random weights: $GPU" \
  | tee "$OUTDIR/cuda_decode.md" || status=1
for p in "${PROFILES[@]}"; do
  profile_table "${p%%|*}" "${p#*|}" | tee -a "$OUTDIR/cuda_decode.md"
done
exit $status
