#!/usr/bin/env bash
# Issue 18's accuracy table: SmolLM2-135M compiled for the host C target in fp32, and in W4A16 with
# round to nearest (--awq off) and with AWQ (calibrated on every text of ../shared/data/text except
# moby-dick.txt), in groups of 64 and 32; perplexity on moby-dick.txt by the generated runner's --ppl
# (benchmarks/llm/perplexity.py, the issue-16 protocol: windows of PPL_WINDOW tokens, stride the
# same, the first PPL_TOKENS tokens). Prints a markdown table and checks the issue's criterion: AWQ
# recovers at least half of round to nearest's perplexity increase over fp32, and is never worse.
#
# Usage: benchmarks/llm/awq_accuracy.sh   (environment, defaults in brackets)
#   OUT [build/awq-accuracy]  WINDOWS [16] LENGTH [256]: calibration windows x tokens
#   PPL_WINDOW [128]  PPL_TOKENS [4096]  CONFIGS ["fp32 rtn64 awq64 rtn32 awq32"]
#   REUSE: when set, configs an earlier run finished are read back
#   AWQ_FLAGS: more flags for the AWQ configs (say -v to print the scale groups and alphas, or
#     --awq-search-rows N for the searches' sample, default 2048)
#   MODEL [build/llm/smollm2.onnx]  TOKENIZER [build/llm/smollm2-hf/tokenizer.json]
#   TEXTS [../shared/data/text]  PARE [build/tools/pare/pare]  PYTHON [build/llm-venv/bin/python]
# Exit status 1 when a step fails or the criterion does not hold.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PARE=${PARE:-$ROOT/build/tools/pare/pare}
PYTHON=${PYTHON:-$ROOT/build/llm-venv/bin/python}
MODEL=${MODEL:-$ROOT/build/llm/smollm2.onnx}
TOKENIZER=${TOKENIZER:-$ROOT/build/llm/smollm2-hf/tokenizer.json}
TEXTS=${TEXTS:-$ROOT/../shared/data/text}
OUT=${OUT:-$ROOT/build/awq-accuracy}
WINDOWS=${WINDOWS:-16}
LENGTH=${LENGTH:-256}
PPL_WINDOW=${PPL_WINDOW:-128}
PPL_TOKENS=${PPL_TOKENS:-4096}
CONFIGS=${CONFIGS:-"fp32 rtn64 awq64 rtn32 awq32"}

for f in "$PARE" "$PYTHON" "$MODEL" "$TOKENIZER" "$TEXTS/moby-dick.txt"; do
  [ -e "$f" ] || { echo "awq_accuracy.sh: $f does not exist" >&2; exit 1; }
done

# The calibration set: every text but the evaluation text, linked into one directory.
mkdir -p "$OUT"
rm -rf "$OUT/calib" && mkdir "$OUT/calib"
find "$TEXTS" -type f -name '*.txt' ! -name moby-dick.txt -print0 |
  while IFS= read -r -d '' f; do ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$OUT/calib/"; done
echo "calibration texts: $(ls "$OUT/calib" | wc -l) files, $(cat "$OUT"/calib/* | wc -c) bytes"

declare -A PPL CTIME SUMMARY BYTES
for cfg in $CONFIGS; do
  case $cfg in
    fp32) flags=() ;;
    rtn*) flags=(--quantize w4a16 --group-size "${cfg#rtn}" --awq off) ;;
    awq*) flags=(--quantize w4a16 --group-size "${cfg#awq}" --calibration "$OUT/calib" --tokenizer "$TOKENIZER"
                 --calibration-windows "$WINDOWS" --calibration-length "$LENGTH" ${AWQ_FLAGS:-}) ;;
    *) echo "awq_accuracy.sh: unknown config '$cfg'" >&2; exit 1 ;;
  esac
  dir=$OUT/$cfg
  if [ -n "${REUSE:-}" ] && [ -s "$dir.ppl" ] && [ -s "$dir.time" ]; then
    # REUSE=1: a config an earlier run finished is read back, not rebuilt.
    PPL[$cfg]=$(sed -n 's/^pare: perplexity \([0-9.]*\) over.*/\1/p' "$dir.ppl" | tail -1)
    CTIME[$cfg]=$(cat "$dir.time")
    SUMMARY[$cfg]=$(grep -a "^pare: w4a16 g" "$dir.log" || true)
    BYTES[$cfg]=$(stat -c %s "$dir/smollm2_weights.bin")
    continue
  fi
  start=$(date +%s.%N)
  echo "== $cfg: pare compile $MODEL --max-context $PPL_WINDOW ${flags[*]}"
  "$PARE" compile "$MODEL" --max-context "$PPL_WINDOW" --name smollm2 --emit-runner -o "$dir" "${flags[@]}" \
    2> "$dir.log" || { cat "$dir.log" >&2; exit 1; }
  grep -a "^pare: w4a16 g" "$dir.log" || true
  CTIME[$cfg]=$(echo "$(date +%s.%N) - $start" | bc)
  echo "${CTIME[$cfg]}" > "$dir.time"
  SUMMARY[$cfg]=$(grep -a "^pare: w4a16 g" "$dir.log" || true)
  BYTES[$cfg]=$(stat -c %s "$dir/smollm2_weights.bin")
  make -s -C "$dir" -f smollm2.mk CFLAGS="-O3 -march=native" > /dev/null
  "$PYTHON" "$ROOT/benchmarks/llm/perplexity.py" --runner "$dir/generate" --weights "$dir/smollm2_weights.bin" \
    --tokenizer "$TOKENIZER" --text "$TEXTS/moby-dick.txt" --window "$PPL_WINDOW" --max-tokens "$PPL_TOKENS" \
    | tee "$dir.ppl"
  PPL[$cfg]=$(sed -n 's/^pare: perplexity \([0-9.]*\) over.*/\1/p' "$dir.ppl" | tail -1)
done

echo
echo "SmolLM2-135M, moby-dick.txt, windows of $PPL_WINDOW tokens, first $PPL_TOKENS tokens; AWQ calibrated on"
echo "$WINDOWS windows x $LENGTH tokens of the other texts"
echo
echo "| decoder | perplexity | increase over fp32 | AWQ recovers | weights file (bytes) | compile (s) |"
echo "|---|---|---|---|---|---|"
status=0
for cfg in $CONFIGS; do
  p=${PPL[$cfg]}
  inc=-; rec=-
  if [ -n "${PPL[fp32]:-}" ] && [ "$cfg" != fp32 ]; then inc=$(echo "$p - ${PPL[fp32]}" | bc -l | xargs printf '%+.3f'); fi
  if [[ $cfg == awq* ]] && [ -n "${PPL[fp32]:-}" ] && [ -n "${PPL[rtn${cfg#awq}]:-}" ]; then
    r=${PPL[rtn${cfg#awq}]}
    rec=$(echo "($r - $p) / ($r - ${PPL[fp32]}) * 100" | bc -l | xargs printf '%.0f%%')
    # The issue's criterion: at least half of the increase recovered, never worse than RTN.
    if [ "$(echo "($r - $p) * 2 >= ($r - ${PPL[fp32]}) && $p <= $r" | bc -l)" != 1 ]; then
      echo "awq_accuracy.sh: $cfg misses the criterion (AWQ $p, RTN $r, fp32 ${PPL[fp32]})" >&2
      status=1
    fi
  fi
  printf '| %s | %.3f | %s | %s | %s | %.0f |\n' "$cfg" "$p" "$inc" "$rec" "${BYTES[$cfg]}" "${CTIME[$cfg]}"
done
for cfg in $CONFIGS; do
  [ -n "${SUMMARY[$cfg]}" ] && echo "$cfg: ${SUMMARY[$cfg]}"
done
exit $status
