#!/usr/bin/env bash
# Issue 19's batch-serving figure on the GPU machine: decode throughput (tokens/s summed over the
# sequences of a step) of pare's CUDA decoder with several sequences in KV-cache slots
# (`pare compile --max-batch N`, <name>_decode_batch), at batch 1, 8 and 32 (BATCHES), fp16 and
# --quantize w8a8 (SmoothQuant W8A8, per-token activations, --smooth-alpha off: no calibration
# set needed), same run, same GPU, random weights. Runs from the repository root; nothing is
# downloaded.
#
#   1. installs the carried wheels into /tmp/site (as benchmarks/llm/cuda_decode.sh does: the
#      export needs torch and transformers);
#   2. the SmolLM2-135M shape: examples/llm/export_onnx.py --tiny with SmolLM2's sizes (or --onnx);
#      --7b: the Llama-2-7B shape, one exported layer repeated 32 times over the same weights
#      (examples/llm/make_random_llama.py --layers 1 + benchmarks/llm/repeat_layers.py, as
#      cuda_decode.sh --7b: every layer still streams its weights each step);
#   3. each model twice: `pare compile --target cuda --precision fp16 --max-batch MAX(BATCHES)
#      --max-context MAX_CONTEXT` and the same with --quantize w8a8 --smooth-alpha off; the
#      decoder and the kernels built with nvcc and linked into tests/cuda/batch_check.c;
#   4. batch_check --bench BATCHES: for each B, B slots prefilled with a CONTEXT-token prompt (default
#      512), 2 warm-up steps (the CUDA graph of B rows captured), then TOKENS (64) decode_batch steps
#      of B rows timed, best of RUNS (3); and slot 0's single-sequence decode (its own graph);
#   5. one markdown table (model, weights, then tokens/s at each batch, the single-sequence decode
#      and ms per step at the largest batch), a "w8a8 / fp16" line per model, in OUT/batch_decode.md.
# WORK keeps exports and built decoders while the machine stays warm: a second call skips them
# (the 7B shape's export and two compiles take a few minutes: run --7b --no-smollm2 alone).
# Exit status 0 only when every requested measurement ran; the table holds what did.
#
# Usage: bash benchmarks/llm/batch_decode.sh [--7b] [--no-smollm2] [--no-w8a8] [--onnx SMOLLM2_SHAPED.onnx] [-h]
# Environment: PARE (pare binary, default dist/pare-portable/pare, else build/tools/pare/pare),
#   WHL (wheel folder, default .whl; "none": use the installed packages), PY (python3),
#   OUT (default $OUT of the device tool, else /tmp/batch-decode-out), WORK (/tmp/batch-decode),
#   BATCHES (1,8,32), CONTEXT (512), TOKENS (64), RUNS (3), MAX_CONTEXT (1024), CUDA_ARCH (from
#   nvidia-smi, else sm_90), PARE_FLAGS (more pare compile flags, e.g. --cuda-gemm cublas).
# GPU memory at the defaults: the 7B fp16 decoder's KV cache is 32 slots x 1024 positions x 512 KiB
# = 16 GiB beside 13.5 GB of weights.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
DO_SMOL=1 DO_7B=0 DO_W8=1 ONNX=""
while (($#)); do
  case "$1" in
    --7b) DO_7B=1 ;;
    --no-smollm2) DO_SMOL=0 ;;
    --no-w8a8) DO_W8=0 ;;
    --onnx) [[ $# -ge 2 ]] || { echo "batch_decode.sh: error: --onnx needs a file" >&2; exit 1; }
      ONNX="$2"; shift ;;
    -h|--help) sed -n '2,36p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "batch_decode.sh: error: unknown argument '$1' (--help)" >&2; exit 1 ;;
  esac
  shift
done

PY="${PY:-python3}"
OUTDIR="${OUT:-/tmp/batch-decode-out}"
W="${WORK:-/tmp/batch-decode}"
BATCHES="${BATCHES:-1,8,32}"
CONTEXT="${CONTEXT:-512}"
TOKENS="${TOKENS:-64}"
RUNS="${RUNS:-3}"
MAX_CONTEXT="${MAX_CONTEXT:-1024}"
read -r -a PARE_EXTRA <<< "${PARE_FLAGS:-}"
mkdir -p "$OUTDIR" "$W" || exit 1
exec > >(tee -a "$OUTDIR/batch_decode.log") 2>&1
export PYTHONUNBUFFERED=1
export PATH="/usr/local/cuda/bin:$PATH"
START=$SECONDS
say() { printf '==> [%4d s] %s\n' $((SECONDS - START)) "$*"; }
die() { printf 'batch_decode.sh: error: %s\n' "$*"; exit 1; }
status=0
failed() { printf 'batch_decode.sh: FAILED: %s\n' "$*"; status=1; }

[[ "$BATCHES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "BATCHES must be a comma-separated list of positive integers"
MAX_BATCH="$(tr ',' '\n' <<< "$BATCHES" | sort -n | tail -1)"
((MAX_BATCH <= 256)) || die "the largest batch ($MAX_BATCH) is beyond --max-batch's 256"
[[ "$CONTEXT" =~ ^[1-9][0-9]*$ && "$TOKENS" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] \
  || die "CONTEXT, TOKENS and RUNS must be positive integers"
((CONTEXT + TOKENS + 2 <= MAX_CONTEXT)) || die "CONTEXT + TOKENS + 2 exceeds MAX_CONTEXT=$MAX_CONTEXT"

# --- 1. Packages, pare, the GPU ------------------------------------------------------------------
WHL="${WHL:-.whl}"
if [[ "$WHL" != none ]]; then
  compgen -G "$WHL/*.whl" > /dev/null || die "no wheels in WHL=$WHL (carry .whl, or WHL=none)"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$WHL"/*.whl || die "pip could not install the wheels of $WHL"
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if [[ -z "${PARE:-}" ]]; then
  PARE=dist/pare-portable/pare; [[ -x "$PARE" ]] || PARE=build/tools/pare/pare
fi
[[ -x "$PARE" ]] || die "PARE=$PARE is not an executable (carry dist/pare-portable: scripts/build_portable.sh)"
"$PARE" compile --help 2>&1 | grep -q -- --max-batch || die "$PARE has no --max-batch"
GPU="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)" \
  || die "nvidia-smi failed: no GPU here"
if [[ -z "${CUDA_ARCH:-}" ]]; then
  cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
  case "$cap" in 80|86|89|90) CUDA_ARCH="sm_$cap" ;; *) CUDA_ARCH=sm_90 ;; esac
fi
echo "GPU: $GPU ($CUDA_ARCH); pare: $PARE; batches $BATCHES, context $CONTEXT, $TOKENS steps, best of $RUNS"
df -h "$W" | tail -1
ROWS="$OUTDIR/batch_decode.tsv"
: > "$ROWS"

# --- 2..4. One model: build_and_bench MODEL ONNX -------------------------------------------------
# pare compile + nvcc of one configuration: build DIR NAME ONNX [more pare flags]. A directory
# with a built batch_check is kept (WORK survives between calls).
build() {
  local dir="$1" name="$2" onnx="$3" k p objs=() libs=() pids=() rc=0
  shift 3
  [[ -x "$dir/batch_check" ]] && { echo "(reusing $dir)"; return 0; }
  rm -rf "$dir"
  /usr/bin/time -f "pare compile ($name): %e s, %M KB peak" "$PARE" compile "$onnx" --target cuda \
    --precision fp16 --cuda-arch "$CUDA_ARCH" --max-context "$MAX_CONTEXT" --max-batch "$MAX_BATCH" \
    --name "$name" --emit-runner -q "${PARE_EXTRA[@]}" "$@" -o "$dir" || return 1
  for k in "$dir/$name.cu" "$dir"/pare_cu_llm*.cu; do
    nvcc -std=c++17 -O3 -arch="$CUDA_ARCH" -c "$k" -o "${k%.cu}.o" &
    pids+=($!)
    objs+=("${k%.cu}.o")
  done
  # Each job by its id: a bare `wait` would also wait for the log's tee.
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || return 1
  [[ -f "$dir/pare_cu_llm_blas.cu" ]] && libs=(-lcublas -lcublasLt)
  cc -std=c99 -O2 -I"$dir" -c tests/cuda/batch_check.c -o "$dir/batch_check.o" \
    && nvcc -arch="$CUDA_ARCH" "$dir/batch_check.o" "${objs[@]}" "${libs[@]}" -o "$dir/batch_check"
}

bench() { # MODEL CONFIG DIR NAME
  local model="$1" config="$2" dir="$3" name="$4" log
  log="$OUTDIR/bench_${model}_${config}.txt"
  say "$model $config: batch_check --bench $BATCHES"
  if ! "$dir/batch_check" -w "$dir/${name}_weights.bin" --bench "$BATCHES" --context "$CONTEXT" \
      --tokens "$TOKENS" --runs "$RUNS" | tee "$log"; then
    failed "$model $config bench"
    return
  fi
  # model, config, batch ("decode": slot 0's single-sequence graph), ms/step, tokens/s
  sed -n 's/^bench: batch=\([0-9]*\) steps=[0-9]* ms_per_step=\([0-9.]*\) tokens_per_s=\([0-9.]*\)$/\1 \2 \3/p;
          s/^bench: decode steps=[0-9]* ms_per_step=\([0-9.]*\) tokens_per_s=\([0-9.]*\)$/decode \1 \2/p' "$log" |
    while read -r b ms tps; do printf '%s\t%s\t%s\t%s\t%s\n' "$model" "$config" "$b" "$ms" "$tps"; done >> "$ROWS"
}

build_and_bench() { # MODEL ONNX
  local model="$1" onnx="$2"
  say "pare compile + nvcc, $model fp16 (--max-batch $MAX_BATCH)"
  if build "$W/$model-fp16" "${model//-/_}" "$onnx"; then
    bench "$model" fp16 "$W/$model-fp16" "${model//-/_}"
  else
    failed "$model fp16 build"
  fi
  ((DO_W8)) || return 0
  say "pare compile + nvcc, $model --quantize w8a8 (--max-batch $MAX_BATCH)"
  if build "$W/$model-w8a8" "${model//-/_}_w8" "$onnx" --quantize w8a8 --smooth-alpha off; then
    bench "$model" w8a8 "$W/$model-w8a8" "${model//-/_}_w8"
  else
    failed "$model w8a8 build"
  fi
}

if ((DO_SMOL)); then
  if [[ -z "$ONNX" ]]; then
    ONNX="$W/smollm2.onnx"
    if [[ ! -f "$ONNX" ]]; then
      say "export_onnx.py --tiny, SmolLM2-135M shape"
      "$PY" examples/llm/export_onnx.py --tiny --layers 30 --hidden 576 --heads 9 --kv-heads 3 \
        --intermediate 1536 --vocab 49152 --rope-theta 100000 --max-position 8192 --init-std 0.02 \
        --out "$ONNX" || { rm -f "$ONNX"; failed "the SmolLM2-shaped export"; }
    fi
  fi
  [[ -f "$ONNX" ]] && build_and_bench smollm2 "$ONNX"
fi

if ((DO_7B)); then
  L7="$W/llama2-7b"
  mkdir -p "$L7"
  if [[ ! -f "$L7/.exported" ]]; then
    rm -f "$L7/model.onnx" "$L7/model.onnx.data" "$L7/one.onnx" "$L7/one.onnx.data"
    say "make_random_llama.py --preset llama2-7b --layers 1, repeat_layers.py 32 (shared weights)"
    "$PY" examples/llm/make_random_llama.py --preset llama2-7b --layers 1 --out "$L7/one.onnx" \
      && "$PY" benchmarks/llm/repeat_layers.py "$L7/one.onnx" "$L7/model.onnx" 32 \
      && rm -f "$L7/one.onnx" "$L7/one.onnx.data" && touch "$L7/.exported"
    [[ -f "$L7/.exported" ]] || failed "the Llama-2-7B-shaped export (above)"
  fi
  [[ -f "$L7/.exported" ]] && build_and_bench llama2-7b "$L7/model.onnx"
fi

# --- 5. The table --------------------------------------------------------------------------------
say "done (status $status)"
{
  printf '\nBatched decode (KV-cache slots, one decode_batch step per token for all sequences), '
  printf 'context %s, %s steps, best of %s, random weights: %s\n\n' "$CONTEXT" "$TOKENS" "$RUNS" "$GPU"
  awk -F'\t' -v batches="$BATCHES" '
    BEGIN { nb = split(batches, B, ",") }
    { key = $1 "\t" $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      tps[key, $3] = $5; ms[key, $3] = $4 }
    END {
      printf "| model | weights |"
      for (i = 1; i <= nb; ++i) printf " batch %s tokens/s |", B[i]
      printf " single-sequence decode tokens/s | ms/step at batch %s |\n|---|---|", B[nb]
      for (i = 1; i <= nb + 2; ++i) printf "---|"
      printf "\n"
      for (r = 1; r <= n; ++r) {
        split(order[r], k, "\t")
        printf "| %s | %s |", k[1], k[2]
        for (i = 1; i <= nb; ++i) printf " %s |", ((order[r], B[i]) in tps) ? tps[order[r], B[i]] : "-"
        printf " %s | %s |\n", ((order[r], "decode") in tps) ? tps[order[r], "decode"] : "-",
          ((order[r], B[nb]) in ms) ? ms[order[r], B[nb]] : "-"
      }
      # w8a8 against fp16 of the same model, batch by batch.
      for (r = 1; r <= n; ++r) {
        split(order[r], k, "\t")
        if (k[2] != "w8a8" || !((k[1] "\tfp16") in seen)) continue
        printf "| %s | w8a8 / fp16 |", k[1]
        for (i = 1; i <= nb; ++i) {
          a = tps[order[r], B[i]]; b = tps[k[1] "\tfp16", B[i]]
          printf " %s |", (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-"
        }
        a = tps[order[r], "decode"]; b = tps[k[1] "\tfp16", "decode"]
        printf " %s | |\n", (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-"
      }
    }' "$ROWS"
} | tee "$OUTDIR/batch_decode.md"
exit $status
