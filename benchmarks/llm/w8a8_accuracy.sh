#!/usr/bin/env bash
# Issue 19's accuracy table: SmolLM2-135M compiled for the host C target in fp32 and in SmoothQuant
# W8A8 (pare compile --quantize w8a8), activations per token and per tensor, each without smoothing
# (--smooth-alpha off) and smoothed (alpha 0.5, and the per-group search, auto), calibrated on every
# text of ../shared/data/text except moby-dick.txt; perplexity on moby-dick.txt by the generated
# runner's --ppl (benchmarks/llm/perplexity.py, the issue-16 protocol of awq_accuracy.sh: windows of
# PPL_WINDOW tokens, stride the same, the first PPL_TOKENS tokens). Prints a markdown table and checks
# the issue's criteria: smoothed per-token W8A8 (token-auto, the per-group search, when the run has it;
# else token-0.5) within 1% of fp32's perplexity; smoothing strictly better than none per tensor.
#
# Usage: benchmarks/llm/w8a8_accuracy.sh   (environment, defaults in brackets)
#   OUT [build/w8a8-accuracy]  WINDOWS [16] LENGTH [128]: calibration windows x tokens
#   PPL_WINDOW [128]  PPL_TOKENS [2048]
#   CONFIGS ["fp32 token-off token-0.5 token-auto tensor-off tensor-0.5 tensor-auto"]
#   REUSE: when set, configs an earlier run finished are read back
#   MODEL [build/llm/smollm2.onnx]  TOKENIZER [build/llm/smollm2-hf/tokenizer.json]
#   TEXTS [../shared/data/text]  PARE [build/tools/pare/pare]  PYTHON [build/llm-venv/bin/python]
#   PARE_FLAGS: extra flags for every W8A8 compile (-v: the groups, alphas and errors, in OUT/<config>.log)
# Exit status 1 when a step fails or a criterion does not hold.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PARE=${PARE:-$ROOT/build/tools/pare/pare}
PYTHON=${PYTHON:-$ROOT/build/llm-venv/bin/python}
MODEL=${MODEL:-$ROOT/build/llm/smollm2.onnx}
TOKENIZER=${TOKENIZER:-$ROOT/build/llm/smollm2-hf/tokenizer.json}
TEXTS=${TEXTS:-$ROOT/../shared/data/text}
OUT=${OUT:-$ROOT/build/w8a8-accuracy}
WINDOWS=${WINDOWS:-16}
LENGTH=${LENGTH:-128}
PPL_WINDOW=${PPL_WINDOW:-128}
PPL_TOKENS=${PPL_TOKENS:-2048}
CONFIGS=${CONFIGS:-"fp32 token-off token-0.5 token-auto tensor-off tensor-0.5 tensor-auto"}

for f in "$PARE" "$PYTHON" "$MODEL" "$TOKENIZER" "$TEXTS/moby-dick.txt"; do
  [ -e "$f" ] || { echo "w8a8_accuracy.sh: $f does not exist" >&2; exit 1; }
done

# The calibration set: every text but the evaluation text, linked into one directory.
mkdir -p "$OUT"
rm -rf "$OUT/calib" && mkdir "$OUT/calib"
find "$TEXTS" -type f -name '*.txt' ! -name moby-dick.txt -print0 |
  while IFS= read -r -d '' f; do ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$OUT/calib/"; done
echo "calibration texts: $(ls "$OUT/calib" | wc -l) files, $(cat "$OUT"/calib/* | wc -c) bytes"

declare -A PPL CTIME SUMMARY
for cfg in $CONFIGS; do
  case $cfg in
    fp32) flags=() ;;
    token-*|tensor-*)
      act=per-${cfg%%-*}; alpha=${cfg#*-}
      flags=(--quantize w8a8 --act-quant "$act" --smooth-alpha "$alpha" ${PARE_FLAGS:-})
      # Per-token without smoothing needs no statistics (and refuses --calibration).
      if [ "$cfg" != token-off ]; then
        flags+=(--calibration "$OUT/calib" --tokenizer "$TOKENIZER" --calibration-windows "$WINDOWS"
                --calibration-length "$LENGTH")
      fi ;;
    *) echo "w8a8_accuracy.sh: unknown config '$cfg'" >&2; exit 1 ;;
  esac
  dir=$OUT/$cfg
  if [ -n "${REUSE:-}" ] && [ -s "$dir.ppl" ] && [ -s "$dir.time" ]; then
    PPL[$cfg]=$(sed -n 's/^pare: perplexity \([0-9.]*\) over.*/\1/p' "$dir.ppl" | tail -1)
    CTIME[$cfg]=$(cat "$dir.time")
    SUMMARY[$cfg]=$(grep -a "^pare: w8a8 " "$dir.log" || true)
    continue
  fi
  start=$(date +%s.%N)
  echo "== $cfg: pare compile $MODEL --max-context $PPL_WINDOW ${flags[*]}"
  "$PARE" compile "$MODEL" --max-context "$PPL_WINDOW" --name smollm2 --emit-runner -o "$dir" "${flags[@]}" \
    2> "$dir.log" || { cat "$dir.log" >&2; exit 1; }
  grep -a "^pare: w8a8 " "$dir.log" || true
  CTIME[$cfg]=$(echo "$(date +%s.%N) - $start" | bc)
  echo "${CTIME[$cfg]}" > "$dir.time"
  SUMMARY[$cfg]=$(grep -a "^pare: w8a8 " "$dir.log" || true)
  make -s -C "$dir" -f smollm2.mk CFLAGS="-O3 -march=native" > /dev/null
  "$PYTHON" "$ROOT/benchmarks/llm/perplexity.py" --runner "$dir/generate" --weights "$dir/smollm2_weights.bin" \
    --tokenizer "$TOKENIZER" --text "$TEXTS/moby-dick.txt" --window "$PPL_WINDOW" --max-tokens "$PPL_TOKENS" \
    | tee "$dir.ppl"
  PPL[$cfg]=$(sed -n 's/^pare: perplexity \([0-9.]*\) over.*/\1/p' "$dir.ppl" | tail -1)
done

echo
echo "SmolLM2-135M, moby-dick.txt, windows of $PPL_WINDOW tokens, first $PPL_TOKENS tokens; W8A8 calibrated on"
echo "$WINDOWS windows x $LENGTH tokens of the other texts"
echo
echo "| decoder | activations | smoothing alpha | perplexity | vs fp32 | compile (s) |"
echo "|---|---|---|---|---|---|"
status=0
for cfg in $CONFIGS; do
  p=${PPL[$cfg]}
  rel=-; act=-; alpha=-
  if [ "$cfg" != fp32 ]; then
    act=per-${cfg%%-*}; alpha=${cfg#*-}
    [ -n "${PPL[fp32]:-}" ] && rel=$(echo "($p / ${PPL[fp32]} - 1) * 100" | bc -l | xargs printf '%+.2f%%')
  fi
  printf '| %s | %s | %s | %.3f | %s | %.0f |\n' "${cfg%%-*}" "$act" "$alpha" "$p" "$rel" "${CTIME[$cfg]}"
done
# The issue's criteria, on the configs this run has.
smoothed=token-auto
[ -n "${PPL[$smoothed]:-}" ] || smoothed=token-0.5
if [ -n "${PPL[fp32]:-}" ] && [ -n "${PPL[$smoothed]:-}" ] &&
   [ "$(echo "${PPL[$smoothed]} <= ${PPL[fp32]} * 1.01" | bc -l)" != 1 ]; then
  echo "w8a8_accuracy.sh: smoothed per-token W8A8 ($smoothed: ${PPL[$smoothed]}) is not within 1% of fp32" \
       "(${PPL[fp32]})" >&2
  status=1
fi
for s in 0.5 auto; do
  if [ -n "${PPL[tensor-off]:-}" ] && [ -n "${PPL[tensor-$s]:-}" ] &&
     [ "$(echo "${PPL[tensor-$s]} < ${PPL[tensor-off]}" | bc -l)" != 1 ]; then
    echo "w8a8_accuracy.sh: per tensor, smoothing (alpha $s: ${PPL[tensor-$s]}) is not better than none (${PPL[tensor-off]})" >&2
    status=1
  fi
done
for cfg in $CONFIGS; do
  [ -n "${SUMMARY[$cfg]:-}" ] && echo "$cfg: ${SUMMARY[$cfg]}"
done
exit $status
